/**
 * The API key lives in this tab's sessionStorage only: gone when the tab closes, never in a
 * URL, a cookie or a log, and sent only in the Authorization header of API calls.
 */
const storageKey = 'snapferry.console.apiKey';

export const readApiKey = (): string | null => {
  try {
    return sessionStorage.getItem(storageKey);
  } catch {
    return null; // storage disabled: the key is kept in memory for this page only
  }
};

export const writeApiKey = (apiKey: string): void => {
  try {
    sessionStorage.setItem(storageKey, apiKey);
  } catch {
    // storage disabled: signed in until the page reloads
  }
};

export const clearApiKey = (): void => {
  try {
    sessionStorage.removeItem(storageKey);
  } catch {
    // nothing stored
  }
};
