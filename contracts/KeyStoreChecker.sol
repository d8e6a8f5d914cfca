// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// Checks key stores of a staking provider's queue the way Aztec's GSE checks a deposit at the
/// rollup's flushEntryQueue (BN254Lib.proofOfPossession), in one eth_call. It is never deployed:
/// its creation code, with the constructor arguments appended, is the `data` of an eth_call
/// without `to` (a "deployless" read), and the bytes the constructor returns are the answer.
///
/// For each queue index asked, the entry is read with the registry's getValueAtIndexInQueue and its
/// G1 key's registration digest H with the GSE's getRegistrationDigest. The GSE's check,
///     e(σ + γ·pk1, −G2) · e(H + γ·G1, pk2) == 1,  γ = keccak(pk1, pk2, σ) mod r,
/// holds exactly when both e(σ, G2) = e(H, pk2) (the proof of possession) and e(pk1, G2) =
/// e(G1, pk2) (G1 and G2 keys of one secret) do. Those two equations of every entry are checked
/// together, with ONE pairing and random 64-bit weights ρ_i, τ_i (derived from the caller's fresh
/// `seed`, as Ethereum's clients batch BLS signatures):
///     e(Σ ρ_i·σ_i + τ_i·pk1_i, −G2) · Π e(ρ_i·H_i + τ_i·G1, pk2_i) == 1,
/// which holds when every entry is sound and, for weights the queue's authors cannot know, fails
/// otherwise but with probability 2^-64. Only when it fails is each entry checked alone, the
/// GSE's way (γ), and a failing one told apart by its keys' equation.
///
/// Answer: one 32-byte word per index asked, in order: the entry's attester in the low 20 bytes
/// (so the caller can match it to the queue it read) and in the top byte 0 (sound), 1 (invalid
/// keys: G1 or G2 zero, off the curve or outside the group, or not the same key) or 2 (invalid
/// proof of possession: zero, off the curve, or not verifying against the digest).
contract KeyStoreChecker {
    uint8 private constant SOUND = 0;
    uint8 private constant INVALID_KEYS = 1;
    uint8 private constant INVALID_PROOF_OF_POSSESSION = 2;

    /// getValueAtIndexInQueue(providerId, index) failed, or returned less than a KeyStore (9 words).
    error EntryUnreadable(uint256 index);
    /// getRegistrationDigest failed, or returned something that is not a point of G1.
    error DigestUnreadable(uint256 index);

    uint256 private constant P = 21888242871839275222246405745257275088696311157297823662689037894645226208583;
    uint256 private constant R = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    // −G2, the negated generator of G2 (x = x0 + x1·u, y = y0 + y1·u), as BN254Lib has it.
    uint256 private constant NEG_G2_X0 = 10857046999023057135944570762232829481370756359578518086990519993285655852781;
    uint256 private constant NEG_G2_X1 = 11559732032986387107991004021392285783925812861821192530917403151452391805634;
    uint256 private constant NEG_G2_Y0 = 13392588948715843804641432497768002650278120570034223513918757245338268106653;
    uint256 private constant NEG_G2_Y1 = 17805874995975841540914202342111839520379459829704422454583296818431106115052;

    struct Entry {
        uint256 attester;
        uint256[2] pk1;
        /// x0, x1, y0, y1 as the registry stores them (x0, y0 the real parts).
        uint256[4] pk2;
        uint256[2] sigma;
        /// The GSE's registration digest of pk1, once the basic checks passed.
        uint256[2] digest;
        uint8 status;
        bool candidate;
    }

    constructor(address registry, uint256 providerId, address gse, bytes32 seed, uint256[] memory indices) {
        uint256 n = indices.length;
        Entry[] memory entries = new Entry[](n);
        // The batched pairing: pair 0 is (Σ ρ_i·σ_i + τ_i·pk1_i, −G2), then (ρ_i·H_i + τ_i·G1, pk2_i).
        uint256[] memory batch = new uint256[](6 * (n + 1));
        uint256[2] memory sum; // the point at infinity, (0, 0) to the precompiles
        uint256 pairs = 1;
        for (uint256 i = 0; i < n; i++) {
            Entry memory e = entries[i];
            readEntry(e, registry, providerId, indices[i]);
            prepare(e, gse, indices[i]);
            if (!e.candidate) continue;
            uint256 weights = uint256(keccak256(abi.encode(seed, indices[i])));
            uint256 rho = (weights & type(uint64).max) | 1;
            uint256 tau = ((weights >> 64) & type(uint64).max) | 1;
            sum = add(sum, add(mul(e.sigma, rho), mul(e.pk1, tau)));
            setPair(batch, pairs, add(mul(e.digest, rho), mul([uint256(1), 2], tau)), e.pk2);
            pairs++;
        }
        if (pairs > 1) {
            setPair(batch, 0, sum, [NEG_G2_X0, NEG_G2_X1, NEG_G2_Y0, NEG_G2_Y1]);
            (bool ok, bool holds) = pairing(batch, pairs);
            if (!ok || !holds) {
                for (uint256 i = 0; i < n; i++) {
                    if (entries[i].candidate) entries[i].status = checkAlone(entries[i]);
                }
            }
        }
        bytes memory answer = new bytes(32 * n);
        for (uint256 i = 0; i < n; i++) {
            uint256 word = (uint256(entries[i].status) << 248) | entries[i].attester;
            assembly {
                mstore(add(add(answer, 32), mul(i, 32)), word)
            }
        }
        assembly {
            return(add(answer, 32), mload(answer))
        }
    }

    function readEntry(Entry memory e, address registry, uint256 providerId, uint256 index) private view {
        (bool ok, bytes memory answer) = registry.staticcall(
            abi.encodeWithSignature("getValueAtIndexInQueue(uint256,uint128)", providerId, index)
        );
        if (!ok || answer.length < 9 * 32) revert EntryUnreadable(index);
        uint256[9] memory w = abi.decode(answer, (uint256[9]));
        e.attester = w[0] & type(uint160).max;
        e.pk1 = [w[1], w[2]];
        e.pk2 = [w[3], w[4], w[5], w[6]];
        e.sigma = [w[7], w[8]];
    }

    /// The checks that need no pairing, and the digest for those that pass them.
    function prepare(Entry memory e, address gse, uint256 index) private view {
        if (!isG1Point(e.pk1) || (e.pk2[0] | e.pk2[1] | e.pk2[2] | e.pk2[3]) == 0) {
            e.status = INVALID_KEYS;
            return;
        }
        if (!isG1Point(e.sigma)) {
            e.status = INVALID_PROOF_OF_POSSESSION;
            return;
        }
        if (gammaOf(e) == 0) {
            // The GSE reverts (GammaZero): the deposit fails.
            e.status = INVALID_PROOF_OF_POSSESSION;
            return;
        }
        e.digest = readDigest(gse, e.pk1, index);
        e.candidate = true;
    }

    /// The GSE's γ = keccak(pk1, pk2, σ) mod r.
    function gammaOf(Entry memory e) private pure returns (uint256) {
        return uint256(
            keccak256(abi.encode(e.pk1[0], e.pk1[1], e.pk2[0], e.pk2[1], e.pk2[2], e.pk2[3], e.sigma[0], e.sigma[1]))
        ) % R;
    }

    function readDigest(address gse, uint256[2] memory pk1, uint256 index) private view returns (uint256[2] memory) {
        (bool ok, bytes memory answer) =
            gse.staticcall(abi.encodeWithSignature("getRegistrationDigest((uint256,uint256))", pk1[0], pk1[1]));
        if (!ok || answer.length < 64) revert DigestUnreadable(index);
        uint256[2] memory digest = abi.decode(answer, (uint256[2]));
        if (!isG1Point(digest)) revert DigestUnreadable(index);
        return digest;
    }

    /// One entry's check, as the GSE makes it, and if it fails, which half of it.
    function checkAlone(Entry memory e) private view returns (uint8) {
        uint256 gamma = gammaOf(e);
        uint256[] memory input = new uint256[](12);
        uint256[4] memory negG2 = [NEG_G2_X0, NEG_G2_X1, NEG_G2_Y0, NEG_G2_Y1];
        setPair(input, 0, add(e.sigma, mul(e.pk1, gamma)), negG2);
        setPair(input, 1, add(e.digest, mul([uint256(1), 2], gamma)), e.pk2);
        (bool ok, bool holds) = pairing(input, 2);
        if (!ok) return INVALID_KEYS; // pk2 is not a point of G2 (the precompile checks the group)
        if (holds) return SOUND;
        setPair(input, 0, e.pk1, negG2);
        setPair(input, 1, [uint256(1), 2], e.pk2);
        (, bool sameKey) = pairing(input, 2);
        return sameKey ? INVALID_PROOF_OF_POSSESSION : INVALID_KEYS;
    }

    /// On y² = x³ + 3 over F_p, coordinates reduced, not the point at infinity (G1's cofactor is 1).
    function isG1Point(uint256[2] memory p) private pure returns (bool) {
        if ((p[0] | p[1]) == 0 || p[0] >= P || p[1] >= P) return false;
        return mulmod(p[1], p[1], P) == addmod(mulmod(mulmod(p[0], p[0], P), p[0], P), 3, P);
    }

    /// Pair `at` of a pairing input: the G1 point, then the G2 point as EIP-197 wants it
    /// (x imaginary, x real, y imaginary, y real).
    function setPair(uint256[] memory input, uint256 at, uint256[2] memory g1, uint256[4] memory g2) private pure {
        uint256 o = 6 * at;
        input[o] = g1[0];
        input[o + 1] = g1[1];
        input[o + 2] = g2[1];
        input[o + 3] = g2[0];
        input[o + 4] = g2[3];
        input[o + 5] = g2[2];
    }

    function pairing(uint256[] memory input, uint256 pairs) private view returns (bool ok, bool holds) {
        uint256[1] memory result;
        assembly {
            ok := staticcall(gas(), 0x08, add(input, 32), mul(pairs, 192), result, 32)
        }
        holds = ok && result[0] == 1;
    }

    /// a + b on G1; both are points of G1 here (checked, or made from such), so it cannot fail.
    function add(uint256[2] memory a, uint256[2] memory b) private view returns (uint256[2] memory c) {
        uint256[4] memory input = [a[0], a[1], b[0], b[1]];
        bool ok;
        assembly {
            ok := staticcall(gas(), 0x06, input, 128, c, 64)
        }
        require(ok);
    }

    /// s·a on G1; a is a point of G1 here, so it cannot fail.
    function mul(uint256[2] memory a, uint256 s) private view returns (uint256[2] memory c) {
        uint256[3] memory input = [a[0], a[1], s];
        bool ok;
        assembly {
            ok := staticcall(gas(), 0x07, input, 96, c, 64)
        }
        require(ok);
    }
}
