/**
 * OpenAPI paths of the evidence routes (`routes/evidence-routes.ts`), merged into `openapi.ts`.
 * The bundle and receipt formats are specified in `docs/bundle-format.md`.
 */

const problem = { $ref: '#/components/responses/Problem' };
const tenant = { name: 'tenant', in: 'path', required: true, schema: { type: 'string' }, description: 'Tenant id, or "default"' };
const id = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
const range = [
  {
    name: 'from',
    in: 'query',
    schema: { type: 'string' },
    description: 'First seq (integer) or RFC 3339 time; a time maps to the smallest seq range covering it',
  },
  { name: 'to', in: 'query', schema: { type: 'string' }, description: 'End of [from, to): seq (integer) or RFC 3339 time' },
];
const reasonBody = (extra: Record<string, unknown> = {}) => ({
  required: true,
  content: {
    'application/json': {
      schema: { type: 'object', required: ['reason', ...Object.keys(extra)], properties: { reason: { type: 'string' }, ...extra } },
    },
  },
});

/** Paths for export, server-side verification, receipts, erasure and key rotation. */
export const EVIDENCE_OPENAPI_PATHS = Object.freeze({
  '/api/v1/logs/{tenant}/export': {
    get: {
      summary: 'Export an evidence bundle of a seq or time range, ending at a signed checkpoint (typed NDJSON stream)',
      parameters: [tenant, ...range],
      responses: {
        '200': { description: 'Bundle lines: manifest, keys, checkpoints, records, end', content: { 'application/x-ndjson': { schema: { type: 'string' } } } },
        '400': problem,
        '403': problem,
        '404': problem,
      },
    },
  },
  '/api/v1/logs/{tenant}/verify': {
    get: {
      summary: 'Run the offline verifier server-side over a range (default: the newest 10,000 records; at most 1,000,000)',
      parameters: [
        tenant,
        ...range,
        {
          name: 'maxAge',
          in: 'query',
          schema: { type: 'integer', minimum: 0, maximum: 3600, default: 0 },
          description: 'Seconds: parts of the range this node found valid at most this long ago are not checked again (verifiedAt says when the oldest was). 0 checks everything now',
        },
      ],
      responses: {
        '200': {
          description: 'Result',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                properties: {
                  status: { type: 'string', enum: ['valid', 'tampered'] },
                  checked: { type: 'integer' },
                  firstBadSeq: { type: ['integer', 'null'] },
                  problems: { type: 'array', items: { type: 'object' } },
                  verifiedAt: { type: 'string', format: 'date-time', description: 'When the range was checked (its oldest part, with maxAge)' },
                },
              },
            },
          },
        },
        '400': problem,
        '404': problem,
      },
    },
  },
  '/api/v1/events/{id}/receipt': {
    get: {
      summary: 'The record, its inclusion proof and the signed checkpoint it is proved against (tamga verify-receipt)',
      parameters: [id],
      responses: { '200': { description: 'Receipt' }, '404': problem, '503': problem },
    },
  },
  '/api/v1/events/{id}/erase': {
    post: {
      summary: "Erase one record's payload (entityData, text); it then verifies as redacted. Administrators only; journalled",
      parameters: [id],
      requestBody: reasonBody(),
      responses: { '200': { description: 'Erased' }, '400': problem, '403': problem, '404': problem },
    },
  },
  '/api/v1/erasures': {
    post: {
      summary: "Erase the payload of every record of one userId. Administrators only; journalled",
      requestBody: reasonBody({ userId: { type: 'string', maxLength: 512 } }),
      responses: {
        '200': {
          description: 'Erased: how many, and the first 1,000 records',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                properties: {
                  erased: { type: 'integer' },
                  records: { type: 'array', maxItems: 1000, items: { type: 'object', properties: { id: { type: 'string' }, tenantId: { type: ['string', 'null'] }, seq: { type: 'integer' } } } },
                  recordsListed: { type: 'integer' },
                },
              },
            },
          },
        },
        '400': problem,
        '403': problem,
      },
    },
  },
  '/api/v1/keys/rotate': {
    post: {
      summary: 'Rotate the HMAC key or the checkpoint key (old keys keep verifying). Administrators only; journalled',
      requestBody: {
        required: true,
        content: { 'application/json': { schema: { type: 'object', required: ['type'], properties: { type: { type: 'string', enum: ['hmac', 'checkpoint'] } } } } },
      },
      responses: { '200': { description: 'The new key id' }, '400': problem, '403': problem },
    },
  },
});
