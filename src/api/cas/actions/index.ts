// The actions certdesk serves, by exact CAS name (CAS doc §1).
import type { CasAction } from '../action.js';
import DescribePackageState from './DescribePackageState.js';
import ListContact from './ListContact.js';

export const CAS_ACTIONS: ReadonlyMap<string, CasAction<any>> = new Map<string, CasAction<any>>([
  ['DescribePackageState', DescribePackageState],
  ['ListContact', ListContact],
]);
