// UploadUserCertificate (CAS API reference, user certificate actions): a certificate and its key from elsewhere. SM2 dual
// certificates (SignCert/EncryptCert) are not supported by certdesk.
import { CertError } from '../../../domain/errors.js';
import { defineAction } from '../action.js';

const PEM_MAX = 60_000;

export default defineAction({
  params: {
    Name: { type: 'string', required: true, maxLength: 64 },
    Cert: { type: 'string', maxLength: PEM_MAX, multiline: true },
    Key: { type: 'string', maxLength: PEM_MAX, multiline: true },
    SignCert: { type: 'string', maxLength: PEM_MAX, multiline: true },
    SignPrivateKey: { type: 'string', maxLength: PEM_MAX, multiline: true },
    EncryptCert: { type: 'string', maxLength: PEM_MAX, multiline: true },
    EncryptPrivateKey: { type: 'string', maxLength: PEM_MAX, multiline: true },
    ResourceGroupId: { type: 'string', maxLength: 128 },
  },
  async run(ctx, p) {
    if (p.SignCert || p.EncryptCert || p.SignPrivateKey || p.EncryptPrivateKey) {
      throw new CertError('invalid_parameter', 'SM2 dual certificates are not supported by certdesk.');
    }
    if (!p.Cert) throw new CertError('missing_parameter', 'The parameter Cert is required.');
    if (!p.Key) throw new CertError('missing_parameter', 'The parameter Key is required.');
    const { certId } = await ctx.deps.orders.uploadUserCertificate(ctx.accountId, {
      name: p.Name,
      certPem: p.Cert,
      keyPem: p.Key,
    });
    return { CertId: certId, ResourceId: `cas-upload-${certId}` };
  },
});
