// The theme: the system's (light or dark) unless the user picks one; kept in this browser.
import type { JSX } from "preact";
import { useState } from "preact/hooks";

type Theme = "auto" | "light" | "dark";
const KEY = "runhistory.theme";

function apply(theme: Theme): void {
  if (theme === "auto") delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
}

function stored(): Theme {
  const value = localStorage.getItem(KEY);
  return value === "light" || value === "dark" ? value : "auto";
}

apply(stored());

export function ThemeToggle(): JSX.Element {
  const [theme, setTheme] = useState<Theme>(stored);
  const choose = (event: Event) => {
    const value = (event.currentTarget as HTMLSelectElement).value as Theme;
    localStorage.setItem(KEY, value);
    apply(value);
    setTheme(value);
  };
  return (
    <select aria-label="Theme" value={theme} onChange={choose}>
      <option value="auto">System theme</option>
      <option value="light">Light</option>
      <option value="dark">Dark</option>
    </select>
  );
}
