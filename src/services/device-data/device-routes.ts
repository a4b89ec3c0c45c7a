import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { principalOf } from '../../platform/auth/guard.js';
import type { Db } from '../../platform/db/db.js';
import { conflict, notFound, validationError } from '../../platform/http/errors.js';
import { errorResponses } from '../../platform/http/schemas.js';
import type { Connections } from './connections.js';
import { emit, presentDevice, type Devices } from './devices.js';
import * as S from './schemas.js';

const encodeCursor = (id: string) => Buffer.from(JSON.stringify({ id })).toString('base64url');
function decodeCursor(cursor: string): string {
  try {
    const { id } = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { id?: unknown };
    if (typeof id === 'string' && /^[0-9a-f-]{36}$/.test(id)) return id;
  } catch {
    // fall through
  }
  throw validationError('Invalid querystring: cursor is not one this service gave', [
    { field: 'cursor', problem: 'is not a cursor from next_cursor' },
  ]);
}
export { decodeCursor, encodeCursor };

export function registerDeviceRoutes(
  root: FastifyInstance,
  db: Db,
  devices: Devices,
  connections: Connections,
): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['devices'];

  async function present(userId: string, row: Parameters<typeof presentDevice>[0]) {
    const connection = await connections.forDevice(userId, row.id);
    return presentDevice(row, connection);
  }

  app.get(
    '/api/v1/devices',
    {
      schema: {
        tags,
        summary: 'My devices and data sources',
        description:
          'Registered by me, or on first sight: by a file import, a Nightscout uploader or a cloud connection.',
        querystring: S.PageQuery,
        response: { 200: S.DevicePage, ...errorResponses(400, 401) },
      },
    },
    async (request) => {
      const userId = principalOf(request).userId;
      const limit = request.query.limit ?? 50;
      const after = request.query.cursor === undefined ? undefined : decodeCursor(request.query.cursor);
      const rows = await devices.list(userId, limit + 1, after);
      const page = rows.slice(0, limit);
      const conns = await connections.byUser(userId);
      return {
        items: page.map((row) => presentDevice(row, conns.get(row.id) ?? null)),
        next_cursor: rows.length > limit ? encodeCursor(page[page.length - 1]!.id) : null,
      };
    },
  );

  app.post(
    '/api/v1/devices',
    {
      schema: {
        tags,
        summary: 'Register a device',
        description:
          'Its `source` is the key to send with its readings to health tracking. Readings that arrive by file, ' +
          'Nightscout or a connection register their own device.',
        body: S.DeviceBody,
        response: { 201: S.Device, ...errorResponses(400, 401) },
      },
    },
    async (request, reply) => {
      const userId = principalOf(request).userId;
      const b = request.body;
      const row = await db.transaction((tx) =>
        devices.create(
          tx,
          userId,
          {
            name: b.name.trim(),
            device_type: b.device_type,
            provider: b.provider ?? 'other',
            manufacturer: b.manufacturer ?? null,
            model: b.model ?? null,
            serial_number: b.serial_number ?? null,
          },
          undefined,
          'user',
        ),
      );
      return reply.status(201).send(presentDevice(row!, null));
    },
  );

  app.get(
    '/api/v1/devices/:id',
    {
      schema: {
        tags,
        summary: 'One of my devices',
        params: S.IdParams,
        response: { 200: S.Device, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => {
      const userId = principalOf(request).userId;
      const row = await devices.get(userId, request.params.id);
      if (!row) throw notFound('No such device');
      return present(userId, row);
    },
  );

  app.patch(
    '/api/v1/devices/:id',
    {
      schema: {
        tags,
        summary: 'Rename a device or correct what it is',
        description: 'Its source key stays: readings it recorded keep their identity.',
        params: S.IdParams,
        body: S.DevicePatchBody,
        response: { 200: S.Device, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => {
      const userId = principalOf(request).userId;
      const row = await db.transaction(async (tx) => {
        const updated = await devices.update(tx, userId, request.params.id, {
          ...request.body,
          ...(request.body.name ? { name: request.body.name.trim() } : {}),
        });
        if (!updated) throw notFound('No such device');
        await emit(tx, userId, 'updated', { device_id: updated.id, fields: Object.keys(request.body) });
        return updated;
      });
      return present(userId, row);
    },
  );

  app.post(
    '/api/v1/devices/:id/disconnect',
    {
      schema: {
        tags,
        summary: 'Disconnect a device or data source',
        description:
          'A cloud connection is revoked (its tokens deleted) and syncs stop; a Nightscout uploader is refused ' +
          'from then on. Readings already imported stay in health tracking.',
        params: S.IdParams,
        response: { 200: S.Device, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => {
      const userId = principalOf(request).userId;
      const existing = await devices.get(userId, request.params.id);
      if (!existing) throw notFound('No such device');
      await connections.disconnectDevice(userId, existing.id);
      const row = await db.transaction(async (tx) => {
        const updated = await devices.setStatus(tx, userId, existing.id, 'disconnected');
        if (!updated) throw notFound('No such device');
        await emit(tx, userId, 'disconnected', { device_id: updated.id, source: updated.source });
        return updated;
      });
      return present(userId, row);
    },
  );

  app.post(
    '/api/v1/devices/:id/reconnect',
    {
      schema: {
        tags,
        summary: 'Accept data from a disconnected device again',
        description:
          'Cloud connections are made again by authorising them (POST /api/v1/connections/{provider}/authorize).',
        params: S.IdParams,
        response: { 200: S.Device, ...errorResponses(400, 401, 404, 409) },
      },
    },
    async (request) => {
      const userId = principalOf(request).userId;
      const existing = await devices.get(userId, request.params.id);
      if (!existing) throw notFound('No such device');
      if (existing.registered_by === 'connection') {
        throw conflict(
          'Connect this provider again: POST /api/v1/connections/{provider}/authorize',
          'authorization_required',
        );
      }
      const row = await db.transaction(async (tx) => {
        const updated = await devices.setStatus(tx, userId, existing.id, 'active');
        await emit(tx, userId, 'reconnected', { device_id: existing.id, source: existing.source });
        return updated!;
      });
      return present(userId, row);
    },
  );

  app.delete(
    '/api/v1/devices/:id',
    {
      schema: {
        tags,
        summary: 'Remove a device from my list',
        description:
          'Its connection, if any, is revoked. Readings already imported stay in health tracking; remove them with ' +
          'DELETE /health-tracking/api/v1/metrics/series?source=<its source>&from=...&to=... .',
        params: S.IdParams,
        response: { 204: Type.Null(), ...errorResponses(400, 401, 404) },
      },
    },
    async (request, reply) => {
      const userId = principalOf(request).userId;
      const existing = await devices.get(userId, request.params.id);
      if (!existing) throw notFound('No such device');
      await connections.disconnectDevice(userId, existing.id, true);
      await db.transaction(async (tx) => {
        const removed = await devices.remove(tx, userId, existing.id);
        if (!removed) throw notFound('No such device');
        await emit(tx, userId, 'removed', { device_id: removed.id, source: removed.source });
      });
      return reply.status(204).send(null);
    },
  );
}
