/** What the operator console's browser tests share: an admin signed in through the page. */
import type { Page } from "@playwright/test";
import { ADMIN, expect } from "./fixtures";

/** Opens a console page and signs in there as the seeded admin (the sign-in page brings them back). */
export async function openConsoleAsAdmin(page: Page, path = "/admin"): Promise<void> {
  await page.goto(path);
  await page.getByRole("link", { name: "Sign in to the console" }).click();
  await page.getByLabel("Email").fill(ADMIN.email);
  await page.getByLabel("Password").fill(ADMIN.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("navigation", { name: "Console" })).toBeVisible();
}
