import { describe, expect, it } from "vitest";
import { InputError } from "../../src/core/errors.js";
import {
  missingSignerAccounts,
  signerAccountsOf,
  signerCheckDocument,
  signerIdOf,
  signersToAsk,
  type SignerAnswer,
} from "../../src/core/plan/signer-accounts.js";

const a = (n: number) => `0x${n.toString(16).padStart(40, "0")}`;
const FILE_SIGNER = "https://file-signer.example";
const OWN_SIGNER = "https://validator-signer.example";
const CERT = { remoteSignerUrl: OWN_SIGNER, certPath: "certs/client.p12", certPass: "pw" };

describe("signerAccountsOf: the signer Aztec's node picks for each account", () => {
  it("account's own remoteSignerUrl (with only its own certificate) > validator's remoteSigner > the file's", () => {
    const accounts = signerAccountsOf(
      "prod.json",
      {
        remoteSigner: FILE_SIGNER,
        validators: [
          { attester: { eth: a(1), bls: "0x" }, publisher: a(2) },
          {
            attester: a(3),
            publisher: [a(4), { address: a(5), remoteSignerUrl: FILE_SIGNER }],
            remoteSigner: CERT,
          },
          {
            attester: { eth: { address: a(6), remoteSignerUrl: "http://own.example" } },
            publisher: a(2),
          },
        ],
      },
      "/keys",
    );
    const cert = { url: OWN_SIGNER, certPath: "/keys/certs/client.p12", certPass: "pw" };
    expect(
      accounts.map(({ address, role, index, field, signer }) => ({
        address,
        role,
        index,
        field,
        signer,
      })),
    ).toEqual([
      {
        address: a(1),
        role: "attester",
        index: 0,
        field: "attester.eth",
        signer: { url: FILE_SIGNER },
      },
      {
        address: a(2),
        role: "publisher",
        index: 0,
        field: "publisher",
        signer: { url: FILE_SIGNER },
      },
      { address: a(3), role: "attester", index: 1, field: "attester", signer: cert },
      { address: a(4), role: "publisher", index: 1, field: "publisher[0]", signer: cert },
      // The node builds its config from the account alone: the validator's certificate is not used.
      {
        address: a(5),
        role: "publisher",
        index: 1,
        field: "publisher[1]",
        signer: { url: FILE_SIGNER },
      },
      {
        address: a(6),
        role: "attester",
        index: 2,
        field: "attester.eth",
        signer: { url: "http://own.example" },
      },
      {
        address: a(2),
        role: "publisher",
        index: 2,
        field: "publisher",
        signer: { url: FILE_SIGNER },
      },
    ]);
    expect(accounts[2]!.signerSource).toEqual({
      file: "prod.json",
      index: 1,
      field: "remoteSigner",
    });
    expect(accounts[0]!.signerSource).toEqual({ file: "prod.json", field: "remoteSigner" });
  });

  it("publishers: the validator's, else the file's (schemaVersion 2) with the validator's signer, else the attester's own", () => {
    const accounts = signerAccountsOf(
      "v2.json",
      {
        remoteSigner: FILE_SIGNER,
        publisher: [a(9)],
        validators: [
          { attester: a(1) },
          { attester: a(2), remoteSigner: OWN_SIGNER },
          { attester: a(3), publisher: a(4) },
        ],
      },
      ".",
    );
    expect(accounts.map((x) => [x.address, x.role, x.field, x.signer.url])).toEqual([
      [a(1), "attester", "attester", FILE_SIGNER],
      [a(9), "publisher", "publisher (the file's)[0]", FILE_SIGNER],
      [a(2), "attester", "attester", OWN_SIGNER],
      [a(9), "publisher", "publisher (the file's)[0]", OWN_SIGNER],
      [a(3), "attester", "attester", FILE_SIGNER],
      [a(4), "publisher", "publisher", FILE_SIGNER],
    ]);
    // No publisher anywhere: the attester publishes, and is checked as the attester.
    expect(
      signerAccountsOf(
        "v1.json",
        { remoteSigner: FILE_SIGNER, validators: [{ attester: a(1) }] },
        ".",
      ),
    ).toHaveLength(1);
  });

  it("an account no signer serves is refused as the node refuses it, naming the validator and field", () => {
    const run = () =>
      signerAccountsOf(
        "prod.json",
        {
          validators: [
            { attester: a(1), remoteSigner: OWN_SIGNER },
            { attester: a(2), publisher: a(3) },
          ],
        },
        ".",
      );
    expect(run).toThrow(InputError);
    expect(run).toThrow(/^prod\.json, validator 1, attester: no remote signer serves this account/);
  });
});

describe("signersToAsk and the classification", () => {
  const accounts = signerAccountsOf(
    "A.json",
    {
      remoteSigner: FILE_SIGNER,
      validators: [
        { attester: a(1), publisher: a(7) },
        { attester: a(2), publisher: a(7) },
        { attester: a(3), publisher: a(8), remoteSigner: OWN_SIGNER },
        { attester: a(4), publisher: a(9), remoteSigner: CERT },
      ],
    },
    "/k",
  );
  const signers = signersToAsk(accounts);

  it("one signer per URL and certificate, each address once, lowercase", () => {
    expect(signers.map((s) => [s.config.url, s.config.certPath, s.addresses])).toEqual([
      [FILE_SIGNER, undefined, [a(1), a(7), a(2)]],
      [OWN_SIGNER, undefined, [a(3), a(8)]],
      [OWN_SIGNER, "/k/certs/client.p12", [a(4), a(9)]],
    ]);
  });

  it("held only when listed and signed by itself; not listed, another key's signature, a refusal, unreachable", () => {
    const [file, own, cert] = signers.map((s) => s.id) as [string, string, string];
    const answers = new Map<string, SignerAnswer>([
      [
        file,
        {
          reachable: true,
          listed: new Set([a(1), a(7)]),
          signatures: new Map([
            [a(1), { recovered: a(1) }],
            [a(7), { recovered: a(0xbad) }],
          ]),
        },
      ],
      [
        own,
        {
          reachable: true,
          listed: new Set([a(3), a(8)]),
          signatures: new Map([
            [a(3), { recovered: a(3) }],
            [a(8), { refused: "no key" }],
          ]),
        },
      ],
      [cert, { reachable: false, problem: "cannot reach", listedCount: 2 }],
    ]);
    const missing = missingSignerAccounts(accounts, answers);
    const checksummed = (n: number) => missing.find((m) => m.address.toLowerCase() === a(n))!;
    expect(missing.map((m) => [m.address.toLowerCase(), m.role, m.indexes, m.reason])).toEqual([
      [a(7), "publisher", [0, 1], "WRONG_SIGNATURE"],
      [a(2), "attester", [1], "NOT_LISTED"],
      [a(8), "publisher", [2], "WRONG_SIGNATURE"],
      [a(4), "attester", [3], "SIGNER_UNREACHABLE"],
      [a(9), "publisher", [3], "SIGNER_UNREACHABLE"],
    ]);
    expect(checksummed(7).signedAs?.toLowerCase()).toBe(a(0xbad));
    expect(checksummed(8).refused).toBe("no key");
    const document = signerCheckDocument(
      signers.map((s, i) => ({ id: s.id, shownUrl: `signer-${i}` })),
      answers,
      missing,
    );
    expect(document.ok).toBe(false);
    expect(document.signers).toEqual([
      { url: "signer-0", reachable: true, accounts: 2 },
      { url: "signer-1", reachable: true, accounts: 2 },
      { url: "signer-2", reachable: false, accounts: 2 },
    ]);
    expect(document.missing[0]).toEqual({
      address: checksummed(7).address,
      role: "publisher",
      file: "A.json",
      signer: "signer-0",
      reason: "WRONG_SIGNATURE",
    });
    expect(signerIdOf({ url: OWN_SIGNER })).not.toBe(
      signerIdOf({ url: OWN_SIGNER, certPath: "/x" }),
    );
  });
});
