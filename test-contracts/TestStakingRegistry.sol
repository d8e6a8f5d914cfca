// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// A stand-in for the staking provider registry, for tests only. It implements exactly the surface
/// in src/types/staking-registry-abi.ts (same names, parameter types, struct layouts and return
/// types) with the real registry's queue semantics: per provider a FIFO queue with half-open
/// indices, entries at [first, last), both starting at 1. Nothing about the keys is verified.

struct G1Point {
    uint256 x;
    uint256 y;
}

struct G2Point {
    uint256 x0;
    uint256 x1;
    uint256 y0;
    uint256 y1;
}

interface IStakingRegistry {
    struct KeyStore {
        address attester;
        G1Point publicKeyG1;
        G2Point publicKeyG2;
        G1Point proofOfPossession;
    }

    struct ProviderConfiguration {
        address providerAdmin;
        uint16 providerTakeRate;
        address providerRewardsRecipient;
    }

    event ProviderRegistered(
        uint256 indexed providerIdentifier, address indexed providerAdmin, uint16 providerTakeRate
    );
    event AttestersAddedToProvider(uint256 indexed providerIdentifier, address[] attesters);
    event ProviderQueueDripped(uint256 indexed providerIdentifier, uint256 numberOfKeysDripped);

    error NotProviderAdmin(uint256 providerIdentifier, address caller);
    error ProviderDoesNotExist(uint256 providerIdentifier);
    error InvalidTakeRate(uint16 takeRate);
    error ZeroAddress();
    error QueueIndexOutOfRange(uint256 providerIdentifier, uint128 index, uint128 first, uint128 last);
    error NotEnoughKeysInQueue(uint256 providerIdentifier, uint256 requested, uint256 available);
}

contract TestStakingRegistry is IStakingRegistry {
    struct Queue {
        uint128 first;
        uint128 last;
        mapping(uint256 index => KeyStore keyStore) values;
    }

    uint256 public nextProviderIdentifier = 1;
    mapping(uint256 => ProviderConfiguration) public providerConfigurations;

    mapping(uint256 providerIdentifier => Queue queue) private queues;

    function registerProvider(address _providerAdmin, uint16 _providerTakeRate, address _providerRewardsRecipient)
        external
        returns (uint256)
    {
        if (_providerAdmin == address(0)) revert ZeroAddress();
        if (_providerTakeRate > 10_000) revert InvalidTakeRate(_providerTakeRate);

        uint256 id = nextProviderIdentifier;
        nextProviderIdentifier = id + 1;
        providerConfigurations[id] = ProviderConfiguration({
            providerAdmin: _providerAdmin,
            providerTakeRate: _providerTakeRate,
            providerRewardsRecipient: _providerRewardsRecipient
        });
        Queue storage q = queues[id];
        q.first = 1;
        q.last = 1;

        emit ProviderRegistered(id, _providerAdmin, _providerTakeRate);
        return id;
    }

    function addKeysToProvider(uint256 _providerIdentifier, KeyStore[] calldata _keyStores) external {
        address admin = providerConfigurations[_providerIdentifier].providerAdmin;
        if (admin == address(0)) revert ProviderDoesNotExist(_providerIdentifier);
        if (msg.sender != admin) revert NotProviderAdmin(_providerIdentifier, msg.sender);

        Queue storage q = queues[_providerIdentifier];
        uint128 last = q.last;
        address[] memory attesters = new address[](_keyStores.length);
        for (uint256 i = 0; i < _keyStores.length; i++) {
            q.values[last] = _keyStores[i];
            attesters[i] = _keyStores[i].attester;
            last++;
        }
        q.last = last;

        emit AttestersAddedToProvider(_providerIdentifier, attesters);
    }

    function getProviderQueueLength(uint256 _providerIdentifier) external view returns (uint256) {
        Queue storage q = queues[_providerIdentifier];
        return q.last - q.first;
    }

    function getFirstIndexInQueue(uint256 _providerIdentifier) external view returns (uint128) {
        return queues[_providerIdentifier].first;
    }

    function getLastIndexInQueue(uint256 _providerIdentifier) external view returns (uint128) {
        return queues[_providerIdentifier].last;
    }

    function getValueAtIndexInQueue(uint256 _providerIdentifier, uint128 _index)
        external
        view
        returns (KeyStore memory)
    {
        Queue storage q = queues[_providerIdentifier];
        if (_index < q.first || _index >= q.last) {
            revert QueueIndexOutOfRange(_providerIdentifier, _index, q.first, q.last);
        }
        return q.values[_index];
    }

    /// The real registry turns dripped keys into rollup deposits; here they are only dequeued (the
    /// stored values are left in place but are no longer reachable through getValueAtIndexInQueue).
    /// Permissionless, like the real one.
    function dripProviderQueue(uint256 _providerIdentifier, uint256 _numberOfKeysToDrip) external {
        if (providerConfigurations[_providerIdentifier].providerAdmin == address(0)) {
            revert ProviderDoesNotExist(_providerIdentifier);
        }
        Queue storage q = queues[_providerIdentifier];
        uint256 available = q.last - q.first;
        if (_numberOfKeysToDrip > available) {
            revert NotEnoughKeysInQueue(_providerIdentifier, _numberOfKeysToDrip, available);
        }
        q.first += uint128(_numberOfKeysToDrip);

        emit ProviderQueueDripped(_providerIdentifier, _numberOfKeysToDrip);
    }
}
