export {
  createTestDatabase,
  postgresAvailable,
  redisAvailable,
  redisTestPrefix,
  type TestDatabase,
} from './database.js';
export { TEST_POSTGRES_URL, TEST_REDIS_URL, adminQuery, databaseUrl } from './services.js';
