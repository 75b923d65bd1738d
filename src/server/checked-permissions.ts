import type { Logger } from '../store/logger.js';
import type { Permission } from './options.js';

/**
 * The application's `permissions` function, failing closed: a call that throws, or answers
 * something that is not a {@link Permission}, counts as `none` (logged). It is asked before each
 * push to every bound session of a partition: one user's throw escaping there stopped the
 * partition's news to every session asked after it, and at a message it left that message
 * unanswered (a MARK the client waits on forever).
 */
export function checkedPermissions(permissions: (userId: string, partition: string) => Permission, logger: Logger): (userId: string, partition: string) => Permission {
  return (userId, partition) => {
    let answer: unknown;
    try {
      answer = permissions(userId, partition);
    } catch (error) {
      logger.warn('permissions threw; the user is denied', { userId, partition, error: String(error) });
      return 'none';
    }
    if (answer === 'none' || answer === 'read' || answer === 'readWrite') return answer;
    logger.warn('permissions answered no permission; the user is denied', { userId, partition, answer: String(answer) });
    return 'none';
  };
}
