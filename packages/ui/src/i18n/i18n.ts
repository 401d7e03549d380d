import { computed, effect, signal } from '@preact/signals';
import { EN, RU } from './messages.js';
import type { MessageKey } from './messages.js';

/** A language of the page. */
export type Lang = 'en' | 'ru';

const STORAGE_KEY = 'tamga.lang';

function initialLang(): Lang {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (saved === 'en' || saved === 'ru') return saved;
  } catch {
    // Storage can be disabled; fall back to the browser's language.
  }
  return navigator.language.toLowerCase().startsWith('ru') ? 'ru' : 'en';
}

/** The page's language: from a remembered choice, else `navigator.language`. */
export const lang = signal<Lang>(initialLang());

/**
 * The locale for dates and numbers: the browser's own when it is of the chosen language (so an
 * `en-GB` viewer keeps day-first dates), else the language itself.
 */
export const locale = computed(() => {
  const nav = navigator.language;
  return nav.toLowerCase().startsWith(lang.value) ? nav : lang.value === 'ru' ? 'ru-RU' : 'en-US';
});

effect(() => {
  document.documentElement.lang = lang.value;
});

/** Switches and remembers the language. */
export function setLang(next: Lang): void {
  lang.value = next;
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch {
    // Not remembered; the choice still holds for this page.
  }
}

/** The text of `key` in the current language, with `{name}` placeholders filled from `vars`. */
export function t(key: MessageKey, vars?: Readonly<Record<string, string | number>>): string {
  const text: string = (lang.value === 'ru' ? RU : EN)[key];
  if (vars === undefined) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in vars ? String(vars[name]) : whole));
}

/** A number in the viewer's locale. */
export function formatNumber(n: number): string {
  return n.toLocaleString(locale.value);
}

/** Plural categories in the order a message lists its forms, per language (Unicode CLDR plural rules). */
const PLURAL_FORMS: Record<Lang, readonly Intl.LDMLPluralRule[]> = {
  en: ['one', 'other'],
  ru: ['one', 'few', 'many'],
};

const pluralRules = new Map<Lang, Intl.PluralRules>();

/**
 * The text of a counted `key` for `n`: the message holds its forms separated by `|` (English `one|other`, Russian
 * `one|few|many`), `{n}` is `n` in the viewer's locale. `1 record`, `2 records`; `1 запись`, `3 записи`, `5 записей`.
 */
export function tn(key: MessageKey, n: number, vars?: Readonly<Record<string, string | number>>): string {
  const l = lang.value;
  let rules = pluralRules.get(l);
  if (rules === undefined) {
    rules = new Intl.PluralRules(l);
    pluralRules.set(l, rules);
  }
  const forms = t(key, { ...vars, n: formatNumber(n) }).split('|');
  const at = PLURAL_FORMS[l].indexOf(rules.select(n));
  // Fractions ("other" in Russian) and missing forms take the last form.
  return forms[at < 0 ? forms.length - 1 : Math.min(at, forms.length - 1)]!;
}
