/**
 * Keeps the deployment files in step with the code. Fails when
 * - a services/<name>.service.ts is deployed by no group of docker-compose.yml
 *   or k8s/, or a SERVICES entry names a service that does not exist;
 * - an app container lacks what running it safely needs (healthcheck, probes,
 *   resources, healthy infrastructure first, one published port);
 * - an environment variable the code reads has no row in README.md's
 *   configuration table, or a deployment sets one that nothing reads;
 * - an app group of k8s/ lacks a PodDisruptionBudget or a
 *   HorizontalPodAutoscaler, NATS is not a 3-server JetStream cluster, a
 *   secret is set in plain config, or `npm run cluster` runs other groups
 *   than the deployments.
 * Nothing is started: the files are parsed and compared.
 */
import fs from "node:fs";
import path from "node:path";
import { parseAllDocuments } from "yaml";
import { SERVICE_GROUPS } from "../../scripts/cluster-processes";
import { platformServiceNames } from "../../services/api/platform-services";

const ROOT = path.resolve(__dirname, "../..");

/** Compose services and k8s workloads that are infrastructure; all others run the app image. */
const INFRA = ["nats", "redis", "mongo"];

/** The moleculer-web service: the group that runs it is the gateway. */
const GATEWAY_SERVICE = "api";

/** Settings that carry credentials: from a Secret in k8s, from the environment (not the file) in compose. */
const SECRET_VARIABLES = ["JWT_SECRET", "ADMIN_PASSWORD", "MONGO_URI", "REDIS_URL", "NATS_PASSWORD"];

/** What production refuses to start without (platform/config.ts), and the servers a cluster node needs. */
const REQUIRED_IN_PRODUCTION = ["NODE_ENV", "TRANSPORTER", "NATS_USER", "NATS_PASSWORD", "MONGO_URI", "REDIS_URL", "JWT_SECRET", "ADMIN_EMAIL", "ADMIN_PASSWORD"];

/** Set by a deployment file although our code does not read them. */
const READ_BY_OTHERS = [
  "NODE_ENV", // read by Node libraries too (config.ts happens to read it as well)
  "SERVICEDIR", // read by moleculer-runner: where the service files are
  "REDIS_PASSWORD", // the Redis server's --requirepass (apps take it inside REDIS_URL)
  "REDISCLI_AUTH", // redis-cli of the Redis healthcheck
  "MONGO_PASSWORD", // the MongoDB user's password (apps take it inside MONGO_URI)
  "MONGO_INITDB_ROOT_USERNAME", // the mongo image: the user its first start creates
  "MONGO_INITDB_ROOT_PASSWORD",
];

/** The code that runs in a node, where environment variables are read. */
const SOURCE_DIRS = ["contracts", "platform", "services", "mixins", "middlewares"];
const SOURCE_FILES = ["moleculer.config.ts"];

/** How the code reads an environment variable, one pattern per form. */
const ENV_READS = [
  /\benv\.([A-Z][A-Z0-9_]*)\b/g, // env.PORT, process.env.PORT
  /\benv\[\s*["'`]([A-Z][A-Z0-9_]*)["'`]\s*\]/g, // env["PORT"], process.env['PORT']
  /\(\s*(?:process\.)?env\s*,\s*["'`]([A-Z][A-Z0-9_]*)["'`]/g, // integer(env, "PORT", 3000): a helper that reads env[name]
];

/** A row of README.md's configuration table: | `NAME` | ... */
const README_ROW = /^\|\s*`([A-Z][A-Z0-9_]*)`/gm;

// ---- reading the repository -------------------------------------------------

type Yaml = any;

const exists = (rel: string) => fs.existsSync(path.join(ROOT, rel));
const read = (rel: string) => fs.readFileSync(path.join(ROOT, rel), "utf8");

/** Files under a folder (recursively) whose names end with one of `endings`, relative to the root. */
function filesUnder(dir: string, ...endings: string[]): string[] {
  if (!exists(dir)) return [];
  return (fs.readdirSync(path.join(ROOT, dir), { recursive: true }) as string[])
    .filter((file) => endings.some((ending) => file.endsWith(ending)))
    .map((file) => path.join(dir, file))
    .sort();
}

/** Every document of a YAML file as plain data; a syntax error fails with the file's name. */
function yamlDocuments(rel: string): Yaml[] {
  return parseAllDocuments(read(rel), { merge: true })
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`${rel}: ${doc.errors.map((e) => e.message).join("\n")}`);
      return doc.toJS();
    })
    .filter((data) => data != null);
}

/** services/users/users.service.ts -> "users": what SERVICES may name. */
function servicesInCode(): string[] {
  return platformServiceNames(path.join(ROOT, "services"));
}

/** "products, cart" -> ["products", "cart"] */
const serviceList = (value: string | undefined) =>
  (value ?? "").split(",").map((name) => name.trim()).filter(Boolean);

/** The entries of `expected` that `actual` lacks, sorted, without repeats. */
const missing = (actual: string[], expected: string[]) =>
  [...new Set(expected.filter((item) => !actual.includes(item)))].sort();

/** Host names in URL-valued settings: nats://nats:4222 -> "nats". */
function hostsIn(env: Record<string, string>): string[] {
  return Object.values(env).flatMap((value) => {
    try {
      return String(value).includes("://") ? [new URL(String(value)).hostname] : [];
    } catch {
      return [];
    }
  });
}

function expectSameServices(deployed: string[]) {
  expect({
    notDeployed: missing(deployed, servicesInCode()),
    noSuchServiceFile: missing(servicesInCode(), deployed),
  }).toEqual({ notDeployed: [], noSuchServiceFile: [] });
}

// ---- docker-compose.yml -----------------------------------------------------

interface ComposeService {
  name: string;
  spec: Yaml;
  env: Record<string, string>;
}

/** environment: as a map or as a list of NAME=value */
function composeEnv(environment: Yaml): Record<string, string> {
  if (Array.isArray(environment)) {
    return Object.fromEntries(environment.map((entry: string) => {
      const [name, ...value] = String(entry).split("=");
      return [name, value.join("=")];
    }));
  }
  return { ...environment };
}

function composeServices(): ComposeService[] {
  const [compose] = yamlDocuments("docker-compose.yml");
  return Object.entries(compose.services ?? {}).map(([name, spec]: [string, Yaml]) => ({
    name,
    spec,
    env: composeEnv(spec.environment),
  }));
}

const composeApps = () => composeServices().filter((service) => !INFRA.includes(service.name));

// ---- k8s/ -------------------------------------------------------------------

const WORKLOAD_KINDS = ["Deployment", "StatefulSet", "DaemonSet"];

const k8sFiles = () => filesUnder("k8s", ".yaml", ".yml");
const k8sObjects = () => k8sFiles().flatMap(yamlDocuments);

const k8sAppWorkloads = () =>
  k8sObjects().filter((o) => WORKLOAD_KINDS.includes(o.kind) && !INFRA.includes(o.metadata.name));

const podSpec = (workload: Yaml) => workload.spec.template.spec;
const containers = (workload: Yaml): Yaml[] => podSpec(workload).containers ?? [];

/** The environment of a container: envFrom ConfigMaps/Secrets (found in k8s/), then env. */
function k8sEnv(container: Yaml): Record<string, string> {
  const objects = k8sObjects();
  const source = (kind: string, name: string) => {
    const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
    return { ...found?.data, ...found?.stringData };
  };
  const fromSources = (container.envFrom ?? []).map((from: Yaml) =>
    from.configMapRef ? source("ConfigMap", from.configMapRef.name) : source("Secret", from.secretRef?.name));
  const direct = Object.fromEntries((container.env ?? []).map((e: Yaml) => [e.name, e.value ?? ""]));
  return Object.assign({}, ...fromSources, direct);
}

const servicesOfWorkload = (workload: Yaml) => containers(workload).flatMap((c) => serviceList(k8sEnv(c).SERVICES));

// ---- Dockerfile ---------------------------------------------------------------

/** Instructions with continuation lines joined and comments dropped: [["ENV", "A=1 B=2"], ...] */
function dockerfileInstructions(): [string, string][] {
  return read("Dockerfile")
    .split("\n")
    .filter((line) => !/^\s*#/.test(line))
    .join("\n")
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((line) => line.trim().match(/^([A-Za-z]+)\s+(.*)$/))
    .filter((match): match is RegExpMatchArray => match != null)
    .map((match) => [match[1].toUpperCase(), match[2]]);
}

/** ENV A=1 B="2" -> { A: "1", B: "2" } (all stages) */
const dockerfileEnv = (): Record<string, string> =>
  Object.fromEntries(
    dockerfileInstructions()
      .filter(([op]) => op === "ENV")
      .flatMap(([, args]) => [...args.matchAll(/(?:^|\s)([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|'[^']*'|\S*)/g)])
      .map((m) => [m[1], m[2].replace(/^["']|["']$/g, "")]),
  );

// ---- environment variables ----------------------------------------------------

function variablesReadByCode(): string[] {
  const sources = [...SOURCE_DIRS.flatMap((dir) => filesUnder(dir, ".ts")), ...SOURCE_FILES.filter(exists)];
  const names = sources.flatMap((file) => {
    const text = read(file);
    return ENV_READS.flatMap((pattern) => [...text.matchAll(pattern)].map((m) => m[1]));
  });
  return [...new Set(names)].sort();
}

function variablesDocumentedInReadme(): string[] {
  if (!exists("README.md")) {
    throw new Error("README.md does not exist: it must document every variable in a table row starting with | `NAME`");
  }
  return [...read("README.md").matchAll(README_ROW)].map((m) => m[1]);
}

function variablesSetByDeployments(): string[] {
  return [
    ...composeApps().flatMap((service) => Object.keys(service.env)),
    ...k8sAppWorkloads().flatMap(containers).flatMap((c) => Object.keys(k8sEnv(c))),
    ...Object.keys(dockerfileEnv()),
  ];
}

// ---- the checks -------------------------------------------------------------

describe("docker-compose.yml", () => {
  it("is one YAML document", () => {
    expect(yamlDocuments("docker-compose.yml")).toHaveLength(1);
  });

  it("runs every service of services/ in some group, and only services that exist", () => {
    expectSameServices(composeApps().flatMap((app) => serviceList(app.env.SERVICES)));
  });

  it("names the services of every app container (no SERVICES means all of them)", () => {
    expect(composeApps().filter((app) => serviceList(app.env.SERVICES).length === 0).map((app) => app.name)).toEqual([]);
  });

  it("runs NATS with JetStream", () => {
    const nats = composeServices().find((service) => service.name === "nats");
    const command = nats?.spec.command;
    const words = Array.isArray(command) ? command : String(command ?? "").split(/\s+/);
    expect(words.some((word: string) => word === "-js" || word === "--jetstream")).toBe(true);
  });

  it("publishes a host port for the gateway only", () => {
    const gateways = composeApps().filter((app) => serviceList(app.env.SERVICES).includes(GATEWAY_SERVICE));
    const publishing = composeServices().filter((service) => service.spec.ports);
    expect(gateways).toHaveLength(1);
    expect(publishing.map((service) => service.name)).toEqual(gateways.map((gateway) => gateway.name));
  });

  it("fixes no container name, so that groups can be scaled with --scale", () => {
    expect(composeServices().filter((service) => service.spec.container_name).map((service) => service.name)).toEqual([]);
  });

  it("gives every container a healthcheck", () => {
    const unchecked = composeServices().filter((s) => !s.spec.healthcheck?.test || s.spec.healthcheck.disable);
    expect(unchecked.map((service) => service.name)).toEqual([]);
  });

  it("starts app containers once the infrastructure they use is healthy", () => {
    const notWaiting = composeApps().flatMap((app) =>
      hostsIn(app.env)
        .filter((host) => INFRA.includes(host))
        .filter((infra) => app.spec.depends_on?.[infra]?.condition !== "service_healthy")
        .map((infra) => `${app.name} -> ${infra}`));
    expect(composeApps().filter((app) => !app.spec.depends_on).map((app) => app.name)).toEqual([]);
    expect(notWaiting).toEqual([]);
  });
});

describe("docker-compose.yml and k8s/", () => {
  it("give every app container what production requires", () => {
    const lacking = [
      ...composeApps().map((app) => ({ name: `compose ${app.name}`, env: app.env })),
      ...k8sAppWorkloads().flatMap((w) => containers(w).map((c) => ({ name: `k8s ${w.metadata.name}`, env: k8sEnv(c) }))),
    ].flatMap(({ name, env }) => missing(Object.keys(env), REQUIRED_IN_PRODUCTION).map((variable) => `${name}: ${variable}`));
    expect(lacking).toEqual([]);
  });

  it("keep compose's secrets out of the file (taken from the environment)", () => {
    const written = composeApps().flatMap((app) =>
      // A URL may be written out around its password, as long as the password comes from the environment.
      SECRET_VARIABLES.filter((name) => app.env[name] !== undefined && !String(app.env[name]).includes("${")).map((name) => `${app.name}: ${name}`));
    expect(written).toEqual([]);
  });

  it("run the service groups of `npm run cluster` (scripts/cluster-processes.ts)", () => {
    const built = servicesInCode();
    const expected = SERVICE_GROUPS.map((g) => ({ name: g.name, services: g.services.filter((s) => built.includes(s)).join(",") })).filter((g) => g.services);
    const compose = composeApps().map((app) => ({ name: app.name, services: serviceList(app.env.SERVICES).join(",") }));
    const k8s = k8sAppWorkloads().map((w) => ({ name: w.metadata.name, services: servicesOfWorkload(w).join(",") }));
    const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
    expect(compose.sort(byName)).toEqual([...expected].sort(byName));
    expect(k8s.sort(byName)).toEqual([...expected].sort(byName));
  });
});

describe("k8s/", () => {
  it("has manifests that all parse as Kubernetes objects", () => {
    expect(k8sFiles().length).toBeGreaterThan(0);
    for (const file of k8sFiles()) {
      const incomplete = yamlDocuments(file).filter((o) => !o.apiVersion || !o.kind || !o.metadata?.name);
      expect({ file, incomplete }).toEqual({ file, incomplete: [] });
    }
  });

  it("deploys every service of services/ in some workload, and only services that exist", () => {
    expectSameServices(k8sAppWorkloads().flatMap(servicesOfWorkload));
  });

  it("names the services of every app workload (no SERVICES means all of them)", () => {
    expect(k8sAppWorkloads().filter((w) => servicesOfWorkload(w).length === 0).map((w) => w.metadata.name)).toEqual([]);
  });

  it("gives every app container readiness and liveness probes", () => {
    const unprobed = k8sAppWorkloads().flatMap((w) =>
      containers(w).filter((c) => !c.readinessProbe || !c.livenessProbe).map((c) => `${w.metadata.name}/${c.name}`));
    expect(unprobed).toEqual([]);
  });

  it("gives every app container resource requests (cpu, memory) and limits (memory)", () => {
    const unbounded = k8sAppWorkloads().flatMap((w) =>
      containers(w)
        .filter((c) => !c.resources?.requests?.cpu || !c.resources?.requests?.memory || !c.resources?.limits?.memory)
        .map((c) => `${w.metadata.name}/${c.name}`));
    expect(unbounded).toEqual([]);
  });

  /** The objects of `kind` that select `workload`'s pods (PodDisruptionBudget) or scale it (HorizontalPodAutoscaler). */
  function coveringObjects(kind: string, workload: Yaml): Yaml[] {
    const podLabels = workload.spec.template.metadata.labels ?? {};
    const inNamespace = (o: Yaml) => o.kind === kind && o.metadata.namespace === workload.metadata.namespace;
    if (kind === "HorizontalPodAutoscaler") {
      return k8sObjects().filter((o) => inNamespace(o) && o.spec.scaleTargetRef?.kind === workload.kind && o.spec.scaleTargetRef?.name === workload.metadata.name);
    }
    return k8sObjects().filter((o) => {
      const selector = o.spec?.selector?.matchLabels ?? {};
      return inNamespace(o) && Object.keys(selector).length > 0 && Object.entries(selector).every(([label, value]) => podLabels[label] === value);
    });
  }

  it("gives every app group one PodDisruptionBudget that keeps a pod through voluntary disruptions", () => {
    const uncovered = k8sAppWorkloads().filter((w) => {
      const budgets = coveringObjects("PodDisruptionBudget", w);
      return budgets.length !== 1 || !(budgets[0].spec.minAvailable >= 1 || budgets[0].spec.maxUnavailable !== undefined);
    });
    expect(uncovered.map((w) => w.metadata.name)).toEqual([]);
  });

  it("scales every app group with one HorizontalPodAutoscaler on CPU, from at least 2 pods", () => {
    const problems = k8sAppWorkloads().flatMap((w) => {
      const hpas = coveringObjects("HorizontalPodAutoscaler", w);
      if (hpas.length !== 1) return [`${w.metadata.name}: ${hpas.length} autoscalers`];
      const { minReplicas, maxReplicas, metrics } = hpas[0].spec;
      const onCpu = (metrics ?? []).some((m: Yaml) => m.type === "Resource" && m.resource?.name === "cpu");
      return [
        ...(minReplicas >= 2 && maxReplicas >= minReplicas ? [] : [`${w.metadata.name}: replicas ${minReplicas}..${maxReplicas}`]),
        ...(onCpu ? [] : [`${w.metadata.name}: not on cpu`]),
        // A fixed count in the Deployment would undo the autoscaler on every apply.
        ...(w.spec.replicas === undefined ? [] : [`${w.metadata.name}: sets replicas`]),
      ];
    });
    expect(problems).toEqual([]);
  });

  it("runs NATS as a 3-server JetStream cluster whose routes name every server", () => {
    const nats = k8sObjects().find((o) => o.kind === "StatefulSet" && o.metadata.name === "nats");
    expect(nats?.spec.replicas).toBe(3);
    const config = k8sObjects().find((o) => o.kind === "ConfigMap" && o.metadata.name === "nats-config")?.data?.["nats.conf"] ?? "";
    expect(config).toMatch(/jetstream\s*\{/);
    const routes = [...config.matchAll(/nats:\/\/(nats-\d+)\.([a-z-]+)\.[^:\s]*:6222/g)];
    expect(routes.map((m) => m[1]).sort()).toEqual(["nats-0", "nats-1", "nats-2"]);
    // The route names resolve through the StatefulSet's headless Service.
    const headless = k8sObjects().find((o) => o.kind === "Service" && o.metadata.name === nats?.spec.serviceName);
    expect(headless?.spec.clusterIP).toBe("None");
    expect(new Set(routes.map((m) => m[2]))).toEqual(new Set([nats?.spec.serviceName]));
  });

  it("takes secrets from Secret objects, never from a ConfigMap or the manifest", () => {
    const plain = k8sAppWorkloads().flatMap(containers).flatMap((c: Yaml) => [
      ...(c.env ?? []).filter((e: Yaml) => SECRET_VARIABLES.includes(e.name) && e.value !== undefined).map((e: Yaml) => e.name),
      ...k8sObjects()
        .filter((o) => o.kind === "ConfigMap" && (c.envFrom ?? []).some((f: Yaml) => f.configMapRef?.name === o.metadata.name))
        .flatMap((o) => Object.keys(o.data ?? {}).filter((name) => SECRET_VARIABLES.includes(name))),
    ]);
    expect(plain).toEqual([]);
    const fromSecrets = (c: Yaml) =>
      Object.keys(Object.assign({}, ...(c.envFrom ?? []).filter((f: Yaml) => f.secretRef).map((f: Yaml) => {
        const secret = k8sObjects().find((o) => o.kind === "Secret" && o.metadata.name === f.secretRef.name);
        return { ...secret?.data, ...secret?.stringData };
      })));
    for (const c of k8sAppWorkloads().flatMap(containers)) expect(fromSecrets(c)).toEqual(expect.arrayContaining(SECRET_VARIABLES));
  });

  describe("the gateway", () => {
    const gateway = () => {
      const gateways = k8sAppWorkloads().filter((w) => servicesOfWorkload(w).includes(GATEWAY_SERVICE));
      expect(gateways).toHaveLength(1);
      return gateways[0];
    };

    it("is probed on its health routes", () => {
      const [container] = containers(gateway());
      expect(container.readinessProbe?.httpGet?.path).toBe("/api/health/ready");
      expect(container.livenessProbe?.httpGet?.path).toBe("/api/health/live");
    });

    it("has a Service that selects its pods and targets one of its ports", () => {
      const workload = gateway();
      const podLabels = workload.spec.template.metadata.labels ?? {};
      const ports = containers(workload).flatMap((c) => c.ports ?? []);
      const selectsGateway = (service: Yaml) =>
        service.metadata.namespace === workload.metadata.namespace &&
        Object.keys(service.spec?.selector ?? {}).length > 0 &&
        Object.entries(service.spec.selector).every(([label, value]) => podLabels[label] === value);
      const targetsGateway = (service: Yaml) =>
        (service.spec.ports ?? []).some((p: Yaml) =>
          ports.some((c: Yaml) => c.name === p.targetPort || c.containerPort === (p.targetPort ?? p.port)));
      const services = k8sObjects().filter((o) => o.kind === "Service" && selectsGateway(o));
      expect(services.filter(targetsGateway)).toHaveLength(1);
    });
  });
});

describe("Dockerfile", () => {
  // package.json's start script: SERVICEDIR=${SERVICEDIR:-dist/services} node node_modules/...
  const start = (): string => JSON.parse(read("package.json")).scripts.start;

  it("starts the same command as `npm start`, with node itself as the process", () => {
    const startCommand = start().replace(/^(\s*[A-Za-z_][A-Za-z0-9_]*=\S*\s+)*/, "").trim();
    const cmds = dockerfileInstructions().filter(([op]) => op === "CMD");
    const cmd: string[] = JSON.parse(cmds[cmds.length - 1][1]);
    expect(cmd.join(" ")).toBe(startCommand);
  });

  it("sets the SERVICEDIR that `npm start` uses (without it SERVICES finds no service file)", () => {
    const [, withDefault, plain] = start().match(/SERVICEDIR=(?:\$\{SERVICEDIR:-([^}]*)\}|(\S+))/) ?? [];
    const fromStart = withDefault ?? plain;
    expect(fromStart).toBeTruthy();
    expect(dockerfileEnv().SERVICEDIR).toBe(fromStart);
  });
});

describe("environment variables", () => {
  it("are found by scanning the code (a check of the patterns themselves)", () => {
    expect(variablesReadByCode()).toEqual(expect.arrayContaining(["SERVICES", "TRANSPORTER"]));
  });

  it("read by the code are all documented in README.md's configuration table", () => {
    expect(missing(variablesDocumentedInReadme(), variablesReadByCode())).toEqual([]);
  });

  it("set by a deployment file are all read by the code (no dead config)", () => {
    const readByCode = [...variablesReadByCode(), ...READ_BY_OTHERS];
    expect(missing(readByCode, variablesSetByDeployments())).toEqual([]);
  });
});
