// The actions certdesk serves, by exact CAS name (Alibaba Cloud CAS API reference (2020-04-07), API overview). Each file declares its
// parameters and calls one use case (principle 5).
import type { CasAction } from '../action.js';
import CancelCertificateForPackageRequest from './CancelCertificateForPackageRequest.js';
import CancelOrderRequest from './CancelOrderRequest.js';
import CreateCertificateForPackageRequest from './CreateCertificateForPackageRequest.js';
import CreateCertificateRequest from './CreateCertificateRequest.js';
import CreateCertificateWithCsrRequest from './CreateCertificateWithCsrRequest.js';
import CreateCsr from './CreateCsr.js';
import DeleteCertificateRequest from './DeleteCertificateRequest.js';
import DeleteCsr from './DeleteCsr.js';
import DeleteUserCertificate from './DeleteUserCertificate.js';
import DescribeCertificateState from './DescribeCertificateState.js';
import DescribePackageState from './DescribePackageState.js';
import GetCsrDetail from './GetCsrDetail.js';
import GetUserCertificateDetail from './GetUserCertificateDetail.js';
import ListContact from './ListContact.js';
import ListCsr from './ListCsr.js';
import ListUserCertificateOrder from './ListUserCertificateOrder.js';
import RenewCertificateOrderForPackageRequest from './RenewCertificateOrderForPackageRequest.js';
import UpdateCsr from './UpdateCsr.js';
import UploadCsr from './UploadCsr.js';
import UploadUserCertificate from './UploadUserCertificate.js';

// Each action has its own parameter type; the table holds them all (checked per file).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const CAS_ACTIONS: ReadonlyMap<string, CasAction<any>> = new Map<string, CasAction<any>>(
  Object.entries({
    CancelCertificateForPackageRequest,
    CancelOrderRequest,
    CreateCertificateForPackageRequest,
    CreateCertificateRequest,
    CreateCertificateWithCsrRequest,
    CreateCsr,
    DeleteCertificateRequest,
    DeleteCsr,
    DeleteUserCertificate,
    DescribeCertificateState,
    DescribePackageState,
    GetCsrDetail,
    GetUserCertificateDetail,
    ListContact,
    ListCsr,
    ListUserCertificateOrder,
    RenewCertificateOrderForPackageRequest,
    UpdateCsr,
    UploadCsr,
    UploadUserCertificate,
  }),
);
