import assert from "node:assert/strict";
import { InFlight } from "../../../lib/server/in_flight.ts";

Deno.test("InFlight.settle() waits for the requests tracked when it was called", async () => {
  const inFlight = new InFlight();
  const { promise: delivered, resolve } = Promise.withResolvers<void>();
  inFlight.track(delivered);
  assert.equal(inFlight.size, 1);
  const settled = inFlight.settle(5000);
  // A request that arrives while draining is not waited for.
  inFlight.track(new Promise(() => {}));
  resolve();
  assert.equal(await settled, true);
  assert.equal(inFlight.size, 1);
});

Deno.test("InFlight.settle() gives up after the timeout; abortAll() cuts off the rest", async () => {
  const inFlight = new InFlight();
  const reasons: unknown[] = [];
  const stuck = inFlight.track(new Promise(() => {}));
  stuck.setAbort((reason) => reasons.push(reason));
  // A failed delivery settles too, and is not aborted again.
  const { promise: failed, reject } = Promise.withResolvers<void>();
  inFlight.track(failed).setAbort(() => assert.fail("already settled"));
  reject(new Error("client gone"));
  assert.equal(await inFlight.settle(30), false);
  inFlight.abortAll("stop");
  assert.deepEqual(reasons, ["stop"]);
  stuck.done();
  assert.equal(inFlight.size, 0);
  assert.equal(await inFlight.settle(30), true);
});
