import { signal, effect } from '@preact/signals';
import { lang, setLang, t } from '../i18n/i18n.js';
import type { Lang } from '../i18n/i18n.js';

type Theme = 'light' | 'dark';
const THEME_KEY = 'tamga.theme';

function initialTheme(): Theme {
  try {
    const saved = localStorage.getItem(THEME_KEY);
    if (saved === 'light' || saved === 'dark') return saved;
  } catch {
    // Storage disabled.
  }
  return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

/** The colour theme: the system's (prefers-color-scheme) until the viewer picks one. */
export const theme = signal<Theme>(initialTheme());

effect(() => {
  document.documentElement.dataset.theme = theme.value;
});

function toggleTheme(): void {
  theme.value = theme.value === 'dark' ? 'light' : 'dark';
  try {
    localStorage.setItem(THEME_KEY, theme.value);
  } catch {
    // Not remembered.
  }
}

/** Language and theme switches (on every page, signed in or not). */
export function PageTools() {
  return (
    <div class="page-tools">
      <div class="segmented" role="group" aria-label={t('language')}>
        {(['ru', 'en'] as Lang[]).map((l) => (
          <button
            type="button"
            class="segment"
            aria-pressed={lang.value === l}
            lang={l}
            onClick={() => setLang(l)}
            key={l}
          >
            {l === 'ru' ? 'RU' : 'EN'}
          </button>
        ))}
      </div>
      <button type="button" class="btn btn-ghost" aria-pressed={theme.value === 'dark'} onClick={toggleTheme}>
        {theme.value === 'dark' ? '☾' : '☀'} <span>{t('themeDark')}</span>
      </button>
    </div>
  );
}
