import { LANGUAGES, useLanguage, type Language } from '../i18n';

export function LanguageSwitch() {
  const { t, language, setLanguage } = useLanguage();
  return (
    <label className="language">
      <span>{t.language}</span>
      <select value={language} onChange={(event) => setLanguage(event.target.value as Language)}>
        {Object.entries(LANGUAGES).map(([code, { name }]) => (
          <option key={code} value={code}>
            {name}
          </option>
        ))}
      </select>
    </label>
  );
}
