/**
 * An admin disables and enables an account (the console's Customers page):
 * a disabled account can neither sign in nor use the tokens it holds.
 */
import type { PublicUser } from "../../services/users/users";
import { loginAdmin, registerUser, startUsersPlatform, type UsersPlatform } from "./helpers";

let platform: UsersPlatform;
let admin: string;
beforeAll(async () => {
  platform = await startUsersPlatform();
  admin = await loginAdmin(platform.http);
});
afterAll(() => platform.stop());

it("locks a disabled account out, token and password, and lets it in again once enabled", async () => {
  const shopper = await registerUser(platform.http, { password: "correct horse battery" });
  const disabled = await platform.http.post<PublicUser>(`/users/${shopper.user.id}/disable`, undefined, { token: admin });
  expect(disabled.status).toBe(200);
  expect(disabled.body).toMatchObject({ id: shopper.user.id, disabled: true });
  expect((await platform.http.get("/users/me", { token: shopper.token })).status).toBe(401);
  expect((await platform.http.post("/auth/login", { email: shopper.user.email, password: "correct horse battery" })).status).toBe(401);

  const enabled = await platform.http.post<PublicUser>(`/users/${shopper.user.id}/enable`, undefined, { token: admin });
  expect(enabled.body).toMatchObject({ id: shopper.user.id, disabled: false });
  expect((await platform.http.get("/users/me", { token: shopper.token })).status).toBe(200);
});

it("refuses an admin disabling their own account, a customer doing it at all, and an unknown id", async () => {
  const me = (await platform.http.get<PublicUser>("/users/me", { token: admin })).body;
  const own = await platform.http.post<{ type: string }>(`/users/${me.id}/disable`, undefined, { token: admin });
  expect(own.status).toBe(409);
  expect(own.body.type).toBe("OWN_ACCOUNT");
  const shopper = await registerUser(platform.http);
  expect((await platform.http.post(`/users/${me.id}/disable`, undefined, { token: shopper.token })).status).toBe(403);
  expect((await platform.http.post(`/users/${me.id}/disable`)).status).toBe(401);
  expect((await platform.http.post("/users/5f0000000000000000000000/enable", undefined, { token: admin })).status).toBe(404);
});
