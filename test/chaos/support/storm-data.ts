/**
 * What the checkout storms (scenarios 6 and 9) share: a checkout body that
 * pays, and the little of the 3.x MongoDB driver (moleculer-db-adapter-mongo's,
 * untyped) they read the data back with.
 */
export const CHECKOUT_BODY = {
  shippingAddress: { line1: "1 Main St", city: "Springfield", postalCode: "12345", country: "US" },
  payment: { cardNumber: "4242424242424242", expMonth: 12, expYear: new Date().getUTCFullYear() + 3, cvc: "123" },
};

export interface Collection {
  findOne(query: object): Promise<Record<string, any> | null>;
  find(query: object): { toArray(): Promise<Record<string, any>[]> };
}
export interface MongoClient {
  db(name: string): { collection(name: string): Collection };
  close(): Promise<void>;
}
export const { MongoClient, ObjectId } = require("mongodb") as {
  MongoClient: { connect(uri: string, opts: object): Promise<MongoClient> };
  ObjectId: new (hex: string) => object;
};
