import type { UserWorkspaceConfig } from 'vitest/config';

/**
 * The vitest settings every package shares. Workspace packages resolve to their TypeScript sources through the
 * `@umd/source` export condition, so tests never need a build.
 */
export function umdProject(name: string): UserWorkspaceConfig {
  const conditions = ['@umd/source', 'node', 'import', 'module', 'default'];
  return {
    resolve: { conditions },
    ssr: { resolve: { conditions, externalConditions: ['node', 'import', 'default'] } },
    test: {
      name,
      environment: 'node',
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      // tfjs training tests are CPU-heavy; one file at a time per project keeps them within the 2-core machines.
      testTimeout: 60_000,
      hookTimeout: 60_000,
    },
  };
}
