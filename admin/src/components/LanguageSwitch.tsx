import { useId } from 'react';
import { LANGUAGES, useLanguage, type Language } from '../i18n';

export function LanguageSwitch() {
  const { t, language, setLanguage } = useLanguage();
  const id = useId();
  return (
    <span className="language">
      <label htmlFor={id}>{t.language}</label>
      <select id={id} value={language} onChange={(event) => setLanguage(event.target.value as Language)}>
        {Object.entries(LANGUAGES).map(([code, { name }]) => (
          <option key={code} value={code}>
            {name}
          </option>
        ))}
      </select>
    </span>
  );
}
