import { VmicError } from '../../errors/index.ts';
import type { Store } from './database.ts';

export function openPostgresStore(_url: string): Promise<Store> {
  return Promise.reject(new VmicError('CONFIG', 'PostgreSQL is not supported yet'));
}
