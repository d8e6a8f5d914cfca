// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// Test stand-ins for add-keys, for tests only.

/// A rollup that only knows its GSE (Rollup.getGSE()), for the AZTEC_ROLLUP_ADDRESS path.
contract TestRollup {
    address private immutable gse;

    constructor(address _gse) {
        gse = _gse;
    }

    function getGSE() external view returns (address) {
        return gse;
    }
}

/// A contract that answers getRegistrationDigest with (1, 3), which is not a point of BN254's G1.
contract BrokenGse {
    struct G1Point {
        uint256 x;
        uint256 y;
    }

    function getRegistrationDigest(G1Point memory) external pure returns (G1Point memory) {
        return G1Point(1, 3);
    }
}
