import QRCode from 'qrcode';

/**
 * Draws a QR token as an SVG image, so that a shop's page or till shows the code without a QR
 * library of its own. Error correction M, as payment QR codes commonly use; a quiet zone of 4.
 *
 * @example
 * const svg = await drawQrSvg(payment.qrToken);
 */
export function drawQrSvg(text: string): Promise<string> {
  return QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 4 });
}
