import { CertError } from '../domain/errors.js';
import type { CompanyRow } from '../store/schema.js';
import type { AccountUseCaseDeps } from './deps.js';
import { requireAccount } from './accounts.js';

export interface CompanyInput {
  name: string;
  country?: string;
  province?: string;
  city?: string;
  address?: string;
  phone?: string;
}

function optionalText(value: string | undefined, field: string, max: number): string {
  const v = (value ?? '').trim();
  if (v.length > max) throw new CertError('invalid_parameter', `${field} is longer than ${max} characters.`);
  return v;
}

/** The checked fields of a company: the same checks whether it is added or changed. */
function companyFields(c: CompanyInput) {
  const name = (c.name ?? '').trim();
  if (name === '') throw new CertError('missing_parameter', 'Name is required.');
  if (name.length > 128) throw new CertError('invalid_parameter', 'Name is longer than 128 characters.');
  const country = optionalText(c.country, 'Country', 2).toUpperCase();
  // The country goes into the OV subject as countryName: an ISO 3166-1 alpha-2 code (RFC 5280 §4.1.2.4, X.520).
  if (country !== '' && !/^[A-Z]{2}$/.test(country))
    throw new CertError('invalid_parameter', 'Country must be a two-letter ISO 3166-1 code.');
  return {
    name,
    country,
    province: optionalText(c.province, 'Province', 128),
    city: optionalText(c.city, 'City', 128),
    address: optionalText(c.address, 'Address', 256),
    phone: optionalText(c.phone, 'Phone', 32),
  };
}

export async function addCompany(
  deps: AccountUseCaseDeps<'clock', 'companies', 'accounts'>,
  accountId: number,
  c: CompanyInput,
): Promise<CompanyRow> {
  await requireAccount(deps, accountId);
  return deps.store.repos.companies.add({ account_id: accountId, ...companyFields(c), created_at: deps.clock.now() });
}

export async function updateCompany(
  deps: AccountUseCaseDeps<never, 'companies', 'accounts'>,
  accountId: number,
  companyId: number,
  c: CompanyInput,
): Promise<CompanyRow> {
  await requireAccount(deps, accountId);
  const row = await deps.store.repos.companies.update(accountId, companyId, companyFields(c));
  if (!row) throw new CertError('not_found', `Company ${companyId} does not exist.`);
  return row;
}

export async function removeCompany(
  deps: AccountUseCaseDeps<never, 'companies'>,
  accountId: number,
  companyId: number,
): Promise<void> {
  if (!(await deps.store.repos.companies.remove(accountId, companyId)))
    throw new CertError('not_found', `Company ${companyId} does not exist.`);
}

export async function listCompanies(
  deps: AccountUseCaseDeps<never, never, 'companies' | 'accounts'>,
  accountId: number,
): Promise<CompanyRow[]> {
  await requireAccount(deps, accountId);
  return deps.store.repos.companies.list(accountId);
}
