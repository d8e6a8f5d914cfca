// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// A stand-in for the staking provider registry, for tests only (the real one's source is not
/// public). It implements the surface in src/types/abi/staking-registry.ts (same names, parameter
/// types, struct layouts and return types) and behaves like the real one wherever aztec-butler's
/// flow can observe it: per provider a FIFO queue with half-open indices, entries at [first, last),
/// both starting at 1; addKeysToProvider is admin-only; stake() takes the activation threshold
/// from the delegator, dequeues the provider's next keystore, creates a new reward split contract
/// for it (the attester's coinbase) and deposits it into Aztec's real rollup of that version, found
/// through Aztec's real Registry (ROLLUP_REGISTRY). The keys themselves are verified by the GSE.

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

interface IERC20Like {
    function transferFrom(address from, address to, uint256 amount) external returns (bool);
    function approve(address spender, uint256 amount) external returns (bool);
}

interface IAztecRegistryLike {
    function getRollup(uint256 version) external view returns (address);
}

interface IAztecRollupLike {
    function getActivationThreshold() external view returns (uint256);
    function deposit(
        address attester,
        address withdrawer,
        G1Point memory publicKeyInG1,
        G2Point memory publicKeyInG2,
        G1Point memory proofOfPossession,
        bool moveWithLatestRollup
    ) external;
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
        uint256 indexed providerIdentifier, address indexed providerAdmin, uint16 indexed providerTakeRate
    );
    event AttestersAddedToProvider(uint256 indexed providerIdentifier, address[] attesters);
    event ProviderQueueDripped(uint256 indexed providerIdentifier, address indexed attester);
    event StakedWithProvider(
        uint256 indexed providerIdentifier,
        address indexed rollupAddress,
        address indexed attester,
        address coinbaseSplitContractAddress,
        address stakerImplementation
    );
    event ProviderAdminUpdateInitiated(uint256 indexed providerIdentifier, address indexed newAdmin);
    event ProviderAdminUpdated(uint256 indexed providerIdentifier, address indexed newAdmin);
    event ProviderRewardsRecipientUpdated(uint256 indexed providerIdentifier, address indexed newRewardsRecipient);
    event ProviderTakeRateUpdated(uint256 indexed providerIdentifier, uint16 newTakeRate);

    error NotProviderAdmin(uint256 providerIdentifier, address caller);
    error ProviderDoesNotExist(uint256 providerIdentifier);
    error InvalidTakeRate(uint16 takeRate);
    error UnexpectedTakeRate(uint16 expected, uint16 actual);
    error ZeroAddress();
    error RollupDoesNotExist(uint256 rollupVersion);
    error QueueIndexOutOfRange(uint256 providerIdentifier, uint128 index, uint128 first, uint128 last);
    error NotEnoughKeysInQueue(uint256 providerIdentifier, uint256 requested, uint256 available);
    error NotPendingAdmin(uint256 providerIdentifier, address caller);
}

/// The reward split created for each staked keystore; its address is the attester's coinbase.
/// Only records who shares the rewards (the real one is a 0xSplits pull split).
contract TestCoinbaseSplit {
    address public immutable providerRewardsRecipient;
    address public immutable userRewardsRecipient;
    uint16 public immutable providerTakeRate;

    constructor(address _providerRewardsRecipient, address _userRewardsRecipient, uint16 _providerTakeRate) {
        providerRewardsRecipient = _providerRewardsRecipient;
        userRewardsRecipient = _userRewardsRecipient;
        providerTakeRate = _providerTakeRate;
    }
}

contract TestStakingRegistry is IStakingRegistry {
    struct Queue {
        uint128 first;
        uint128 last;
        mapping(uint256 index => KeyStore keyStore) values;
    }

    address public immutable STAKING_ASSET;
    address public immutable PULL_SPLIT_FACTORY;
    address public immutable ROLLUP_REGISTRY;
    /// Test-only: who may set the hook below (the deployer).
    address private immutable testOperator;
    /// Test-only hook: addKeysToProvider reverts for this attester (zero: never).
    address public testRejectedAttester;

    uint256 public nextProviderIdentifier = 1;
    mapping(uint256 => ProviderConfiguration) public providerConfigurations;
    mapping(uint256 => address) public pendingProviderAdmins;

    mapping(uint256 providerIdentifier => Queue queue) private queues;

    constructor(address _stakingAsset, address _pullSplitFactory, address _rollupRegistry) {
        if (_stakingAsset == address(0) || _rollupRegistry == address(0)) revert ZeroAddress();
        STAKING_ASSET = _stakingAsset;
        PULL_SPLIT_FACTORY = _pullSplitFactory;
        ROLLUP_REGISTRY = _rollupRegistry;
        testOperator = msg.sender;
    }

    /// Test-only: make addKeysToProvider revert for one attester, to play a key the chain rejects.
    function testRejectAttester(address _attester) external {
        require(msg.sender == testOperator, "TestStakingRegistry: not the test operator");
        testRejectedAttester = _attester;
    }

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
        onlyAdmin(_providerIdentifier);

        Queue storage q = queues[_providerIdentifier];
        uint128 last = q.last;
        address rejected = testRejectedAttester;
        address[] memory attesters = new address[](_keyStores.length);
        for (uint256 i = 0; i < _keyStores.length; i++) {
            if (rejected != address(0) && _keyStores[i].attester == rejected) {
                revert("TestStakingRegistry: attester rejected by the test hook");
            }
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

    function getActivationThreshold(uint256 _rollupVersion) public view returns (uint256) {
        return IAztecRollupLike(rollupOf(_rollupVersion)).getActivationThreshold();
    }

    /// A delegator stakes the activation threshold with a provider: the provider's next keystore
    /// is deposited into the rollup of `_rollupVersion`, with a new split contract as its coinbase.
    function stake(
        uint256 _providerIdentifier,
        uint256 _rollupVersion,
        address _withdrawalAddress,
        uint16 _expectedProviderTakeRate,
        address _userRewardsRecipient,
        bool _moveWithLatestRollup
    ) external {
        ProviderConfiguration memory config = providerConfigurations[_providerIdentifier];
        if (config.providerAdmin == address(0)) revert ProviderDoesNotExist(_providerIdentifier);
        if (config.providerTakeRate != _expectedProviderTakeRate) {
            revert UnexpectedTakeRate(_expectedProviderTakeRate, config.providerTakeRate);
        }
        if (_withdrawalAddress == address(0) || _userRewardsRecipient == address(0)) revert ZeroAddress();
        address rollup = rollupOf(_rollupVersion);
        uint256 threshold = IAztecRollupLike(rollup).getActivationThreshold();

        KeyStore memory keyStore = dequeue(_providerIdentifier);
        require(IERC20Like(STAKING_ASSET).transferFrom(msg.sender, address(this), threshold), "transferFrom failed");
        TestCoinbaseSplit split =
            new TestCoinbaseSplit(config.providerRewardsRecipient, _userRewardsRecipient, config.providerTakeRate);
        require(IERC20Like(STAKING_ASSET).approve(rollup, threshold), "approve failed");
        IAztecRollupLike(rollup).deposit(
            keyStore.attester,
            _withdrawalAddress,
            keyStore.publicKeyG1,
            keyStore.publicKeyG2,
            keyStore.proofOfPossession,
            _moveWithLatestRollup
        );
        emit StakedWithProvider(_providerIdentifier, rollup, keyStore.attester, address(split), address(this));
    }

    /// Test-only, for the benchmark: stakes the provider's next `_count` keys at once, as stake()
    /// does, but paid from this registry's own staking asset (mint it here first) and with a
    /// counterfactual split address instead of a new split contract (cheap: no contract creation).
    function testBulkStake(uint256 _providerIdentifier, uint256 _rollupVersion, uint256 _count, address _withdrawer)
        external
    {
        require(msg.sender == testOperator, "TestStakingRegistry: not the test operator");
        address rollup = rollupOf(_rollupVersion);
        uint256 threshold = IAztecRollupLike(rollup).getActivationThreshold();
        require(IERC20Like(STAKING_ASSET).approve(rollup, threshold * _count), "approve failed");
        for (uint256 i = 0; i < _count; i++) {
            KeyStore memory keyStore = dequeue(_providerIdentifier);
            IAztecRollupLike(rollup).deposit(
                keyStore.attester,
                _withdrawer,
                keyStore.publicKeyG1,
                keyStore.publicKeyG2,
                keyStore.proofOfPossession,
                false
            );
            address split = address(uint160(uint256(keccak256(abi.encode("split", keyStore.attester)))));
            emit StakedWithProvider(_providerIdentifier, rollup, keyStore.attester, split, address(this));
        }
    }

    /// Test-only, for the benchmark: StakedWithProvider events alone (no queue, no deposit).
    function testEmitStakedWithProvider(uint256 _providerIdentifier, address _rollup, address[] calldata _attesters)
        external
    {
        require(msg.sender == testOperator, "TestStakingRegistry: not the test operator");
        for (uint256 i = 0; i < _attesters.length; i++) {
            address split = address(uint160(uint256(keccak256(abi.encode("split", _attesters[i])))));
            emit StakedWithProvider(_providerIdentifier, _rollup, _attesters[i], split, address(this));
        }
    }

    /// Dequeues keys without staking them. Permissionless, like the real one.
    function dripProviderQueue(uint256 _providerIdentifier, uint256 _numberOfKeysToDrip) external {
        if (providerConfigurations[_providerIdentifier].providerAdmin == address(0)) {
            revert ProviderDoesNotExist(_providerIdentifier);
        }
        Queue storage q = queues[_providerIdentifier];
        uint256 available = q.last - q.first;
        if (_numberOfKeysToDrip > available) {
            revert NotEnoughKeysInQueue(_providerIdentifier, _numberOfKeysToDrip, available);
        }
        for (uint256 i = 0; i < _numberOfKeysToDrip; i++) {
            emit ProviderQueueDripped(_providerIdentifier, q.values[q.first + i].attester);
        }
        q.first += uint128(_numberOfKeysToDrip);
    }

    function updateProviderAdmin(uint256 _providerIdentifier, address _newAdmin) external {
        onlyAdmin(_providerIdentifier);
        if (_newAdmin == address(0)) revert ZeroAddress();
        pendingProviderAdmins[_providerIdentifier] = _newAdmin;
        emit ProviderAdminUpdateInitiated(_providerIdentifier, _newAdmin);
    }

    function acceptProviderAdmin(uint256 _providerIdentifier) external {
        if (pendingProviderAdmins[_providerIdentifier] != msg.sender || msg.sender == address(0)) {
            revert NotPendingAdmin(_providerIdentifier, msg.sender);
        }
        delete pendingProviderAdmins[_providerIdentifier];
        providerConfigurations[_providerIdentifier].providerAdmin = msg.sender;
        emit ProviderAdminUpdated(_providerIdentifier, msg.sender);
    }

    function updateProviderRewardsRecipient(uint256 _providerIdentifier, address _newRewardsRecipient) external {
        onlyAdmin(_providerIdentifier);
        if (_newRewardsRecipient == address(0)) revert ZeroAddress();
        providerConfigurations[_providerIdentifier].providerRewardsRecipient = _newRewardsRecipient;
        emit ProviderRewardsRecipientUpdated(_providerIdentifier, _newRewardsRecipient);
    }

    function updateProviderTakeRate(uint256 _providerIdentifier, uint16 _newTakeRate) external {
        onlyAdmin(_providerIdentifier);
        if (_newTakeRate > 10_000) revert InvalidTakeRate(_newTakeRate);
        providerConfigurations[_providerIdentifier].providerTakeRate = _newTakeRate;
        emit ProviderTakeRateUpdated(_providerIdentifier, _newTakeRate);
    }

    function onlyAdmin(uint256 _providerIdentifier) private view {
        address admin = providerConfigurations[_providerIdentifier].providerAdmin;
        if (admin == address(0)) revert ProviderDoesNotExist(_providerIdentifier);
        if (msg.sender != admin) revert NotProviderAdmin(_providerIdentifier, msg.sender);
    }

    function rollupOf(uint256 _rollupVersion) private view returns (address rollup) {
        rollup = IAztecRegistryLike(ROLLUP_REGISTRY).getRollup(_rollupVersion);
        if (rollup == address(0)) revert RollupDoesNotExist(_rollupVersion);
    }

    function dequeue(uint256 _providerIdentifier) private returns (KeyStore memory keyStore) {
        Queue storage q = queues[_providerIdentifier];
        if (q.last == q.first) revert NotEnoughKeysInQueue(_providerIdentifier, 1, 0);
        keyStore = q.values[q.first];
        emit ProviderQueueDripped(_providerIdentifier, keyStore.attester);
        q.first += 1;
    }
}
