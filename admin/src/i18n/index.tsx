import { createContext, useContext, useMemo, useState, type ReactNode } from 'react';
import { en, type Catalogue } from './en';
import { ru } from './ru';

export type Language = 'en' | 'ru';
export const LANGUAGES: Record<Language, { name: string; texts: Catalogue }> = {
  en: { name: 'English', texts: en },
  ru: { name: 'Русский', texts: ru },
};

const LANGUAGE_ITEM = 'gateway-console.language';

/** The operator's earlier choice, else the browser's language. */
function initialLanguage(): Language {
  const chosen = localStorage.getItem(LANGUAGE_ITEM);
  if (chosen === 'en' || chosen === 'ru') return chosen;
  const preferred = navigator.languages?.length ? navigator.languages : [navigator.language];
  for (const tag of preferred) {
    const base = tag.toLowerCase().split('-')[0];
    if (base === 'ru' || base === 'kk') return 'ru';
    if (base === 'en') return 'en';
  }
  return 'en';
}

interface LanguageState {
  language: Language;
  t: Catalogue;
  setLanguage(language: Language): void;
}

const LanguageContext = createContext<LanguageState | null>(null);

export function LanguageProvider({ children }: { children: ReactNode }) {
  const [language, setLanguageState] = useState<Language>(initialLanguage);
  const value = useMemo<LanguageState>(
    () => ({
      language,
      t: LANGUAGES[language].texts,
      setLanguage(next) {
        localStorage.setItem(LANGUAGE_ITEM, next);
        document.documentElement.lang = next;
        setLanguageState(next);
      },
    }),
    [language],
  );
  document.documentElement.lang = language;
  return <LanguageContext.Provider value={value}>{children}</LanguageContext.Provider>;
}

export function useLanguage(): LanguageState {
  const state = useContext(LanguageContext);
  if (!state) throw new Error('useLanguage outside LanguageProvider');
  return state;
}
