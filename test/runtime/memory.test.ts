import { MemoryStore } from '../../runtime/memory.ts';
import { storeContract } from './store-contract.ts';

storeContract('MemoryStore', () => new MemoryStore());
