/**
 * The remote codec endpoint of the Temporal UI and CLI (`POST /codec/decode`, `POST /codec/encode`, JSON
 * `{ payloads: [{ metadata, data }] }` with base64 bytes): lets an authorised operator read the encrypted workflow
 * histories. Payloads span tenants, so only platform operators (superadmin) may use it; in development the dev
 * server's UI on the same machine may use it without a token (it cannot send one).
 */
import express, { type RequestHandler } from 'express';
import type { PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { Authenticator } from '../auth';
import { problems } from '../problems';

export interface CodecRouterDeps {
  codec: PayloadCodec;
  authenticator: Authenticator;
  /** Development only: requests from a loopback address need no token. */
  allowLocalWithoutToken: boolean;
  /** Origins allowed to call from a browser (the Temporal UI). */
  allowedOrigins: readonly string[];
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

export function createCodecRouter(deps: CodecRouterDeps): express.Router {
  const router = express.Router();

  router.use((req, res, next) => {
    const origin = req.get('origin');
    if (origin && deps.allowedOrigins.includes(origin)) {
      res.set({
        'Access-Control-Allow-Origin': origin,
        'Access-Control-Allow-Methods': 'POST, OPTIONS',
        'Access-Control-Allow-Headers': 'Content-Type, Authorization, X-Namespace',
        'Access-Control-Allow-Credentials': 'true',
        Vary: 'Origin',
      });
    }
    if (req.method === 'OPTIONS') {
      res.status(204).end();
      return;
    }
    next();
  });

  const guard: RequestHandler = async (req, _res, next) => {
    const token = req.get('authorization')?.match(/^Bearer\s+(\S+)$/i)?.[1];
    if (!token) {
      if (deps.allowLocalWithoutToken && LOOPBACK.has(req.socket.remoteAddress ?? '')) return next();
      throw problems.unauthorized('send Authorization: Bearer <token>');
    }
    const principal = await deps.authenticator(token);
    if (!principal.roles.includes('superadmin')) {
      throw problems.forbidden('decoding workflow payloads needs the superadmin role');
    }
    next();
  };

  // History pages hold many payloads: a larger limit than the API's, for this route only.
  router.use(express.json({ limit: '8mb' }));

  for (const direction of ['encode', 'decode'] as const) {
    router.post(`/${direction}`, guard, async (req, res) => {
      let payloads: temporal.api.common.v1.IPayload[];
      try {
        payloads = temporal.api.common.v1.Payloads.fromObject(req.body ?? {}).payloads;
      } catch {
        throw problems.validation([
          { field: 'payloads', message: 'expected [{"metadata": {…}, "data": "<base64>"}]' },
        ]);
      }
      let result: temporal.api.common.v1.IPayload[];
      try {
        result = await deps.codec[direction](payloads);
      } catch (error) {
        throw problems.validation([{ field: 'payloads', message: (error as Error).message }]);
      }
      res.json(
        temporal.api.common.v1.Payloads.toObject(
          temporal.api.common.v1.Payloads.create({ payloads: result }),
          {
            bytes: String,
          },
        ),
      );
    });
  }
  return router;
}
