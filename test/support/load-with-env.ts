/**
 * platform/config reads the environment once, when first loaded: a suite that
 * needs other settings (e.g. MONGO_URI) loads its modules afresh under them,
 * and the environment is put back as it was.
 */
export function loadWithEnv<T>(env: Record<string, string>, load: () => T): T {
  const saved = Object.fromEntries(Object.keys(env).map((key) => [key, process.env[key]]));
  Object.assign(process.env, env);
  try {
    let loaded!: T;
    jest.isolateModules(() => {
      loaded = load();
    });
    return loaded;
  } finally {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}
