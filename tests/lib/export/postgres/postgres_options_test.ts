import assert from "node:assert/strict";
import {
  checkDatabaseUrl,
  driverOptions,
  redactUrl,
} from "../../../../lib/export/postgres/postgres_options.ts";

Deno.test("checkDatabaseUrl() accepts postgres:// URLs that name a host and a user", () => {
  for (
    const raw of [
      "postgres://sluice@127.0.0.1/sluice",
      "postgresql://u:p%40ss@db.internal:6432/app?sslmode=require",
      "postgres://u@[::1]:5432/x",
    ]
  ) {
    assert.equal(checkDatabaseUrl(raw).href, new URL(raw).href);
  }
});

Deno.test("checkDatabaseUrl() rejects what Sluice cannot use, without echoing the URL", () => {
  const cases: [string, string][] = [
    ["not a url", "not a URL (postgres://user:password@host:port/database)"],
    ["mysql://u:secret@db/x", "the scheme must be postgres://, not mysql://"],
    ["postgres:///x", "name the host (TCP only: no socket paths)"],
    ["postgres://db/x", "name the user (postgres://USER@host/database)"],
    [
      "postgres://u@db/x?sslmode=verify-ca",
      'sslmode must be one of disable, prefer, require, verify-full; got "verify-ca"',
    ],
  ];
  for (const [raw, message] of cases) {
    assert.throws(() => checkDatabaseUrl(raw), { name: "TypeError", message }, raw);
  }
});

Deno.test("redactUrl() drops the password and the query", () => {
  assert.equal(
    redactUrl(new URL("postgres://u:secret@db:6432/app?sslmode=require")),
    "postgres://u@db:6432/app",
  );
});

Deno.test("driverOptions() spells out every option the driver would read from PG* variables", () => {
  const options = driverOptions(
    checkDatabaseUrl("postgres://u%20x:p%40ss@[::1]/?sslmode=require"),
    {
      max: 3,
    },
  ) as Record<string, unknown>;
  assert.equal(options.host, "::1");
  assert.equal(options.port, 5432);
  assert.equal(options.user, "u x");
  assert.equal((options.pass as () => string)(), "p@ss");
  // No database in the URL: the user's name, as libpq does.
  assert.equal(options.database, "u x");
  assert.equal(options.ssl, "require");
  assert.equal(options.max, 3);
  // The driver reads PG<KEY> for each of its defaults not given.
  for (
    const key of [
      "max",
      "ssl",
      "sslnegotiation",
      "idle_timeout",
      "connect_timeout",
      "max_lifetime",
      "max_pipeline",
      "backoff",
      "keep_alive",
      "prepare",
      "debug",
      "fetch_types",
      "publications",
      "target_session_attrs",
    ]
  ) {
    assert.ok(key in options, key);
  }
  assert.deepEqual(options.connection, { application_name: "sluice" });
});
