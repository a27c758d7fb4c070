/**
 * Who is signed in. The token is kept in localStorage so a reload stays
 * signed in; it is dropped on sign out and on any 401. Why localStorage is
 * acceptable here (the page's CSP): docs/security.md, "Browser".
 */
import { reactive } from "vue";
import type { User } from "./types";

const TOKEN_KEY = "shop.token";
const USER_KEY = "shop.user";

function storedUser(): User | null {
  try {
    const raw = localStorage.getItem(USER_KEY);
    return raw ? (JSON.parse(raw) as User) : null;
  } catch {
    return null;
  }
}

export const session = reactive({
  token: localStorage.getItem(TOKEN_KEY),
  user: localStorage.getItem(TOKEN_KEY) ? storedUser() : null,
});

export function signedIn(token: string, user: User): void {
  session.token = token;
  session.user = user;
  localStorage.setItem(TOKEN_KEY, token);
  localStorage.setItem(USER_KEY, JSON.stringify(user));
}

export function signedOut(): void {
  session.token = null;
  session.user = null;
  localStorage.removeItem(TOKEN_KEY);
  localStorage.removeItem(USER_KEY);
}
