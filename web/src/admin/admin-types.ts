/** What the console reads from the admin routes (docs/api.md), named once, narrowly. */
import type { Order, Product, Shipment as CustomerShipment, User } from "../types";

export interface NodeView {
  nodeID: string;
  hostname: string | null;
  available: boolean;
  services: string[];
  cpu: number | null;
  uptimeSeconds: number | null;
  memoryBytes: number | null;
  leftAt: string | null;
}

export interface ActionStats {
  action: string;
  service: string;
  nodes: number;
  requestsPerSecond: number;
  errorsPerSecond: number;
  errorRatio: number;
  requestsTotal: number;
  errorsTotal: number;
  p95Ms: number | null;
}

export interface Breaker {
  callerNodeID: string;
  action: string;
  targetNodeID: string;
  state: "open" | "half-open";
}

export interface ClusterView {
  at: string;
  nodes: NodeView[];
  services: { name: string; nodes: number }[];
  actions: ActionStats[];
  breakers: Breaker[];
}

export interface EventsView {
  consumers: { group: string; pending: number | null; unacked: number | null; deadLetters: number | null }[];
  outboxes: { service: string; ready: number; pending: number; oldestReadyAgeSeconds: number }[];
}

export interface DeadLetter {
  seq: number;
  group: string;
  event: string;
  envelope: unknown;
  reason: string;
  deliveries: number;
  deadAt: string;
}

export interface AdminOrder extends Order {
  userId?: string;
  customer?: { email: string; name: string };
}

export interface Shipment extends CustomerShipment {
  orderId: string;
  method: string;
}

export interface AdminProduct extends Product {
  reserved?: number;
  weightGrams?: number;
  archived?: boolean;
}

export type ProductFields = Pick<AdminProduct, "sku" | "name" | "description" | "category" | "price"> & { weightGrams?: number };

export interface AdminUser extends User {
  role: "customer" | "admin";
  disabled?: boolean;
  createdAt: string;
}

export interface FaultRule {
  target: string;
  latencyMs?: number;
  errorRate?: number;
  errorCode?: 500 | 503 | 504;
}
