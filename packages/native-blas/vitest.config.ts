import { defineProject } from 'vitest/config';
import { umdProject } from '../../tooling/vitest/project.js';

export default defineProject(umdProject('native-blas'));
