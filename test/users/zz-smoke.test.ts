import { startUsersPlatform } from "./helpers";
it("smoke", async () => {
  const p = await startUsersPlatform();
  try {
    const actions = p.broker.registry.getActionList({ onlyLocal: true }).map((a: any) => a.name + " " + JSON.stringify(a.action?.params ? Object.keys(a.action.params) : null));
    console.warn(actions.join("\n"));
    const r = await p.http.post("/auth/register", { email: " Foo@Example.com ", password: "password123", name: "Foo" });
    console.warn(r.status, r.text);
    const l = await p.http.post("/auth/login", { email: "foo@example.com", password: "password123" });
    console.warn(l.status, l.text);
    const tok = (l.body as any).token;
    console.warn((await p.http.get("/users/me", { token: tok })).text);
    console.warn((await p.http.patch("/users/me", { name: "Bar", address: { line1: "a", city: "b", postalCode: "1", country: "de", x: 1 } }, { token: tok })).text);
    console.warn((await p.http.patch("/users/me", { address: { line1: "a", city: "b", postalCode: "1", country: "xx" } }, { token: tok })).text);
    console.warn((await p.http.get("/users?page=1&pageSize=2", { token: tok })).text);
    const a = await p.http.post("/auth/login", { email: "admin@shop.local", password: "admin-password-dev" });
    console.warn((await p.http.get("/users?page=1&pageSize=1", { token: (a.body as any).token })).text);
    console.warn((await p.http.get("/users?page=0&pageSize=101", { token: (a.body as any).token })).text);
    console.warn((await p.http.post("/auth/register", { email: "x@example.com", password: "short", name: "" })).text);
  } finally { await p.stop(); }
});
