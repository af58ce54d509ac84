// PKCS#12 (RFC 7292) for Tomcat and IIS: the leaf, its chain and the key certdesk made, under
// a password the customer chooses. node-forge's toPkcs12Asn1 takes only RSA keys and
// certdesk's default keys are ECDSA P-256, so the PFX is assembled here from node-forge's
// ASN.1 builder and PKCS#12 key derivation, with the key bag encrypted by node's crypto
// (PBES2, AES-256-CBC, PBKDF2-HMAC-SHA256: RFC 8018 §6.2, as OpenSSL 3 writes it) and an
// HMAC-SHA256 MAC (RFC 7292 §5, Appendix B). docs/decisions/0005-pkcs12-assembly.md.
import { createHmac, createPrivateKey, createHash, randomBytes } from 'node:crypto';
import forge from 'node-forge';

const { asn1 } = forge;
const OID = {
  data: '1.2.840.113549.1.7.1',
  keyBag: '1.2.840.113549.1.12.10.1.2', // pkcs8ShroudedKeyBag
  certBag: '1.2.840.113549.1.12.10.1.3',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  localKeyId: '1.2.840.113549.1.9.21',
  friendlyName: '1.2.840.113549.1.9.20',
  sha256: '2.16.840.1.101.3.4.2.1',
};
/** RFC 7292 Appendix B.2 iterations; OpenSSL 3's default is 2048. */
const MAC_ITERATIONS = 2048;

type Asn1 = forge.asn1.Asn1;
const U = asn1.Class.UNIVERSAL;
const T = asn1.Type;
const seq = (items: Asn1[]) => asn1.create(U, T.SEQUENCE, true, items);
const set = (items: Asn1[]) => asn1.create(U, T.SET, true, items);
const oid = (o: string) => asn1.create(U, T.OID, false, asn1.oidToDer(o).getBytes());
const octets = (b: Buffer) => asn1.create(U, T.OCTETSTRING, false, b.toString('binary'));
const explicit0 = (inner: Asn1) => asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [inner]);
const integer = (n: number) => asn1.create(U, T.INTEGER, false, asn1.integerToDer(n).getBytes());
const der = (a: Asn1) => Buffer.from(asn1.toDer(a).getBytes(), 'binary');

function attributes(localKeyId: Buffer, friendlyName: string | undefined): Asn1 {
  const attrs = [seq([oid(OID.localKeyId), set([octets(localKeyId)])])];
  // node-forge writes a BMPString's value as UTF-16 code units itself.
  if (friendlyName) attrs.push(seq([oid(OID.friendlyName), set([asn1.create(U, T.BMPSTRING, false, friendlyName)])]));
  return set(attrs);
}

function dataContentInfo(content: Buffer): Asn1 {
  return seq([oid(OID.data), explicit0(octets(content))]);
}

export interface Pkcs12Input {
  /** DER of the leaf, then its chain (issuing CA first). */
  certificates: Buffer[];
  /** PKCS#8 DER of the private key. */
  keyDer: Buffer;
  password: string;
  friendlyName?: string;
}

export function buildPkcs12(input: Pkcs12Input): Buffer {
  const leaf = input.certificates[0];
  if (!leaf) throw new Error('a PKCS#12 file needs the certificate');
  const localKeyId = createHash('sha1').update(leaf).digest();
  const certBags = input.certificates.map((c, i) =>
    seq([
      oid(OID.certBag),
      explicit0(seq([oid(OID.x509Certificate), explicit0(octets(c))])),
      ...(i === 0 ? [attributes(localKeyId, input.friendlyName)] : []),
    ]),
  );
  const encryptedKey = createPrivateKey({ key: input.keyDer, format: 'der', type: 'pkcs8' }).export({
    format: 'der',
    type: 'pkcs8',
    cipher: 'aes-256-cbc',
    passphrase: input.password,
  });
  const keyBag = seq([
    oid(OID.keyBag),
    explicit0(asn1.fromDer(encryptedKey.toString('binary'))),
    attributes(localKeyId, input.friendlyName),
  ]);
  const authSafe = der(seq([dataContentInfo(der(seq(certBags))), dataContentInfo(der(seq([keyBag])))]));
  // RFC 7292 Appendix B.2 (ID 3: MAC key), SHA-256, over the AuthenticatedSafe's content octets.
  const salt = randomBytes(16);
  const macKey = forge.pkcs12.generateKey(
    input.password,
    forge.util.createBuffer(salt.toString('binary')),
    3,
    MAC_ITERATIONS,
    32,
    forge.md.sha256.create(),
  );
  const mac = createHmac('sha256', Buffer.from(macKey.getBytes(), 'binary')).update(authSafe).digest();
  const macData = seq([
    seq([seq([oid(OID.sha256), asn1.create(U, T.NULL, false, '')]), octets(mac)]),
    octets(salt),
    integer(MAC_ITERATIONS),
  ]);
  return der(seq([integer(3), dataContentInfo(authSafe), macData]));
}
