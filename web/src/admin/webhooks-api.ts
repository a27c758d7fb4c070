/**
 * The Webhooks page's calls (docs/webhooks.md, "Managing endpoints"), through
 * the typed client of clients/typescript: paths, bodies and answers are
 * checked by the compiler against docs/openapi.json.
 */
import type { components, operations } from "../../../clients/typescript";
import { api, read } from "../api";

export type WebhookEndpoint = components["schemas"]["WebhookEndpoint"];
export type WebhookEndpointPage = components["schemas"]["WebhookEndpointPage"];
export type WebhookDelivery = components["schemas"]["WebhookDelivery"];
export type WebhookDeliveryPage = components["schemas"]["WebhookDeliveryPage"];
export type DeliveryStatus = WebhookDelivery["status"];
export type WebhookEvent = NonNullable<operations["webhooks.create"]["requestBody"]>["content"]["application/json"]["events"][number];
export type EndpointChanges = NonNullable<operations["webhooks.update"]["requestBody"]>["content"]["application/json"];

/** The events an endpoint may subscribe to, in the order the page offers them. */
export const WEBHOOK_EVENTS: readonly WebhookEvent[] = ["order.paid", "order.cancelled", "order.shipped", "order.delivered", "payment.refunded", "stock.low"];

const endpoint = (id: string) => ({ params: { path: { id } } });

export const webhooksApi = {
  list: (page: number, pageSize = 20) => read<WebhookEndpointPage>(api.GET("/api/admin/webhooks", { params: { query: { page, pageSize } } })),
  /** The answer carries the secret: the only time it is shown. */
  create: (body: { url: string; events: WebhookEvent[]; description?: string }) => read<WebhookEndpoint>(api.POST("/api/admin/webhooks", { body })),
  update: (id: string, changes: EndpointChanges) => read<WebhookEndpoint>(api.PATCH("/api/admin/webhooks/{id}", { ...endpoint(id), body: changes })),
  remove: (id: string) => read<WebhookEndpoint>(api.DELETE("/api/admin/webhooks/{id}", endpoint(id))),
  rotateSecret: (id: string) => read<WebhookEndpoint>(api.POST("/api/admin/webhooks/{id}/rotate-secret", endpoint(id))),
  sendTest: (id: string) => read<WebhookDelivery>(api.POST("/api/admin/webhooks/{id}/test", endpoint(id))),
  deliveries: (id: string, query: { status?: DeliveryStatus; page: number; pageSize?: number }) =>
    read<WebhookDeliveryPage>(api.GET("/api/admin/webhooks/{id}/deliveries", { params: { path: { id }, query: { pageSize: 20, ...query } } })),
  retry: (id: string, deliveryId: string) => read<WebhookDelivery>(api.POST("/api/admin/webhooks/{id}/deliveries/{deliveryId}/retry", { params: { path: { id, deliveryId } } })),
};
