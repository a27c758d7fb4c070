/** The test harness in one import; test/README.md says what each part is for. */
export { startCluster, startNode, waitForNodesReady, BUILT_PROJECT } from "./cluster";
export type { Cluster, ClusterNode, ClusterNodeSpec, ClusterOptions, NodeOptions, ReadyOptions, BuiltProject } from "./cluster";
export { api, rawRequest } from "./http";
export type { ApiClient, ApiResponse, RequestOptions } from "./http";
export { startMongo } from "./mongo";
export type { TestMongo } from "./mongo";
export { startNatsServer } from "./nats-server";
export type { NatsServer } from "./nats-server";
export { startRedisServer } from "./redis-server";
export type { RedisServer } from "./redis-server";
export { freePort, freePorts } from "./ports";
export { waitUntil, withTimeout } from "./wait-until";
export type { ExitInfo } from "./owned-process";
