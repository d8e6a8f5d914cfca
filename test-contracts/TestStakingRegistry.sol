// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

/// The twin of Aztec's StakingRegistry (AztecProtocol/ignition-contracts,
/// src/staking-registry/StakingRegistry.sol), for tests only, written from the facts in the
/// project's recipe (../shared/recipes/aztec-staking-registry.md): the same functions, selectors,
/// custom errors with their parameters, events, QueueLib's rules (a provider's queue starts at
/// index 1, `last` is exclusive, QueueIndexOutOfBounds() and QueueIsEmpty()), stake's order of
/// checks and effects, dripProviderQueue's events and the two-step admin change. The rewards split
/// is a minimal contract of this file (TestPullSplit, made by TestPullSplitFactory with 0xSplits
/// v2's createSplit signature), created per stake with the recipients and allocations the real
/// one gets. Test-only helpers are at the end, all named test…, callable by the deployer only.

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

/// Aztec's Registry, as the staking registry uses it.
interface IRegistryLike {
    function getRollup(uint256 version) external view returns (address);
}

/// Aztec's rollup, as the staking registry uses it.
interface IStakingLike {
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

/// 0xSplits v2's SplitV2Lib.Split.
struct Split {
    address[] recipients;
    uint256[] allocations;
    uint256 totalAllocation;
    uint16 distributionIncentive;
}

interface IPullSplitFactoryLike {
    function createSplit(Split calldata splitParams, address owner, address creator) external returns (address split);
}

/// A rewards split as the staking registry creates one per stake: it only records its parameters
/// (the real one is a 0xSplits v2 PullSplit). Its address is the attester's coinbase.
contract TestPullSplit {
    address[] private recipients;
    uint256[] private allocations;
    uint256 public immutable totalAllocation;
    uint16 public immutable distributionIncentive;
    address public immutable owner;
    address public immutable creator;

    constructor(Split memory _split, address _owner, address _creator) {
        recipients = _split.recipients;
        allocations = _split.allocations;
        totalAllocation = _split.totalAllocation;
        distributionIncentive = _split.distributionIncentive;
        owner = _owner;
        creator = _creator;
    }

    function getRecipients() external view returns (address[] memory) {
        return recipients;
    }

    function getAllocations() external view returns (uint256[] memory) {
        return allocations;
    }
}

/// 0xSplits v2's PullSplitFactory.createSplit, minimal: a new TestPullSplit per call.
contract TestPullSplitFactory is IPullSplitFactoryLike {
    event SplitCreated(address indexed split, address owner, address creator);

    function createSplit(Split calldata _splitParams, address _owner, address _creator)
        external
        returns (address split)
    {
        split = address(new TestPullSplit(_splitParams, _owner, _creator));
        emit SplitCreated(split, _owner, _creator);
    }
}

interface IStakingRegistry {
    struct ProviderConfiguration {
        address providerAdmin;
        uint16 providerTakeRate;
        address providerRewardsRecipient;
    }

    struct KeyStore {
        address attester;
        G1Point publicKeyG1;
        G2Point publicKeyG2;
        G1Point proofOfPossession;
    }

    event ProviderRegistered(
        uint256 indexed providerIdentifier, address indexed providerAdmin, uint16 indexed providerTakeRate
    );
    event ProviderAdminUpdateInitiated(uint256 indexed providerIdentifier, address indexed newAdmin);
    event ProviderAdminUpdated(uint256 indexed providerIdentifier, address indexed newAdmin);
    event ProviderTakeRateUpdated(uint256 indexed providerIdentifier, uint16 newTakeRate);
    event ProviderRewardsRecipientUpdated(uint256 indexed providerIdentifier, address indexed newRewardsRecipient);
    event ProviderQueueDripped(uint256 indexed providerIdentifier, address indexed attester);
    event AttestersAddedToProvider(uint256 indexed providerIdentifier, address[] attesters);
    event StakedWithProvider(
        uint256 indexed providerIdentifier,
        address indexed rollupAddress,
        address indexed attester,
        address coinbaseSplitContractAddress,
        address stakerImplementation
    );

    error StakingRegistry__ZeroAddress();
    error StakingRegistry__InvalidProviderIdentifier(uint256 _providerIdentifier);
    error StakingRegistry__NotProviderAdmin();
    error StakingRegistry__UpdatedProviderAdminToSameAddress();
    error StakingRegistry__UpdatedProviderTakeRateToSameValue();
    error StakingRegistry__NotPendingProviderAdmin();
    error StakingRegistry__InvalidTakeRate(uint256 _takeRate);
    error StakingRegistry__UnexpectedTakeRate(uint256 _expectedTakeRate, uint256 _gotTakeRate);
}

/// QueueLib's queue of key stores: entries at [first, last), both 1 after init.
struct Queue {
    mapping(uint256 index => IStakingRegistry.KeyStore keyStore) keyStores;
    uint128 first;
    uint128 last;
}

library QueueLib {
    error QueueIsEmpty();
    error QueueIndexOutOfBounds();

    function init(Queue storage self) internal {
        self.first = 1;
        self.last = 1;
    }

    function enqueue(Queue storage self, IStakingRegistry.KeyStore calldata keyStore) internal {
        uint128 last = self.last;
        self.keyStores[last] = keyStore;
        self.last = last + 1;
    }

    function dequeue(Queue storage self) internal returns (IStakingRegistry.KeyStore memory keyStore) {
        uint128 first = self.first;
        if (self.last <= first) revert QueueIsEmpty();
        keyStore = self.keyStores[first];
        delete self.keyStores[first];
        self.first = first + 1;
    }

    function length(Queue storage self) internal view returns (uint256) {
        return self.last - self.first;
    }

    function getValueAtIndex(Queue storage self, uint128 index)
        internal
        view
        returns (IStakingRegistry.KeyStore memory)
    {
        if (index < self.first || index >= self.last) revert QueueIndexOutOfBounds();
        return self.keyStores[index];
    }
}

/// OpenZeppelin's SafeERC20.safeTransferFrom: a revert is passed on, a false or missing answer
/// from a contract without code is SafeERC20FailedOperation(token).
library SafeTransfer {
    error SafeERC20FailedOperation(address token);

    function safeTransferFrom(address token, address from, address to, uint256 amount) internal {
        (bool ok, bytes memory answer) = token.call(abi.encodeCall(IERC20Like.transferFrom, (from, to, amount)));
        if (!ok) {
            assembly {
                revert(add(answer, 32), mload(answer))
            }
        }
        if (answer.length == 0 ? token.code.length == 0 : !abi.decode(answer, (bool))) {
            revert SafeERC20FailedOperation(token);
        }
    }
}

contract TestStakingRegistry is IStakingRegistry {
    using QueueLib for Queue;

    uint256 private constant BIPS = 10_000;

    IERC20Like public immutable STAKING_ASSET;
    address public immutable PULL_SPLIT_FACTORY;
    IRegistryLike public immutable ROLLUP_REGISTRY;

    mapping(uint256 providerIdentifier => ProviderConfiguration providerConfiguration) public providerConfigurations;
    mapping(uint256 providerIdentifier => Queue attesterKeys) public providerQueues;
    uint256 public nextProviderIdentifier = 1;
    mapping(uint256 providerIdentifier => address providerAdmin) public pendingProviderAdmins;

    constructor(IERC20Like _stakingAsset, address _pullSplitFactory, IRegistryLike _rollupRegistry) {
        STAKING_ASSET = _stakingAsset;
        PULL_SPLIT_FACTORY = _pullSplitFactory;
        ROLLUP_REGISTRY = _rollupRegistry;
        testOperator = msg.sender;
    }

    /// A delegator stakes with a provider: the head of its queue goes into the rollup's entry
    /// queue, and a new split of the rewards becomes that attester's coinbase.
    function stake(
        uint256 _providerIdentifier,
        uint256 _rollupVersion,
        address _withdrawalAddress,
        uint16 _expectedProviderTakeRate,
        address _userRewardsRecipient,
        bool _moveWithLatestRollup
    ) external {
        ProviderConfiguration memory config = providerConfigurations[_providerIdentifier];
        if (config.providerAdmin == address(0)) revert StakingRegistry__InvalidProviderIdentifier(_providerIdentifier);
        if (_withdrawalAddress == address(0)) revert StakingRegistry__ZeroAddress();
        if (_userRewardsRecipient == address(0)) revert StakingRegistry__ZeroAddress();
        if (_expectedProviderTakeRate != config.providerTakeRate) {
            revert StakingRegistry__UnexpectedTakeRate(_expectedProviderTakeRate, config.providerTakeRate);
        }
        address rollup = ROLLUP_REGISTRY.getRollup(_rollupVersion);
        if (rollup == address(0)) revert StakingRegistry__ZeroAddress();

        KeyStore memory keyStore = providerQueues[_providerIdentifier].dequeue();

        uint256 activationThreshold = IStakingLike(rollup).getActivationThreshold();
        SafeTransfer.safeTransferFrom(address(STAKING_ASSET), msg.sender, address(this), activationThreshold);
        STAKING_ASSET.approve(rollup, activationThreshold);

        IStakingLike(rollup).deposit(
            keyStore.attester,
            _withdrawalAddress,
            keyStore.publicKeyG1,
            keyStore.publicKeyG2,
            keyStore.proofOfPossession,
            _moveWithLatestRollup
        );

        address[] memory recipients = new address[](2);
        recipients[0] = config.providerRewardsRecipient;
        recipients[1] = _userRewardsRecipient;
        uint256[] memory allocations = new uint256[](2);
        allocations[0] = config.providerTakeRate;
        allocations[1] = BIPS - config.providerTakeRate;
        address split = IPullSplitFactoryLike(PULL_SPLIT_FACTORY).createSplit(
            Split({recipients: recipients, allocations: allocations, totalAllocation: BIPS, distributionIncentive: 0}),
            address(0),
            address(this)
        );

        emit StakedWithProvider(_providerIdentifier, rollup, keyStore.attester, split, msg.sender);
    }

    function registerProvider(address _providerAdmin, uint16 _providerTakeRate, address _providerRewardsRecipient)
        external
        returns (uint256)
    {
        if (_providerAdmin == address(0)) revert StakingRegistry__ZeroAddress();
        if (_providerRewardsRecipient == address(0)) revert StakingRegistry__ZeroAddress();
        if (_providerTakeRate > BIPS) revert StakingRegistry__InvalidTakeRate(_providerTakeRate);

        uint256 providerIdentifier = nextProviderIdentifier;
        nextProviderIdentifier++;
        providerConfigurations[providerIdentifier] = ProviderConfiguration({
            providerAdmin: _providerAdmin,
            providerTakeRate: _providerTakeRate,
            providerRewardsRecipient: _providerRewardsRecipient
        });
        providerQueues[providerIdentifier].init();

        emit ProviderRegistered(providerIdentifier, _providerAdmin, _providerTakeRate);
        return providerIdentifier;
    }

    /// Enqueues the key stores in order; checks nothing about them (no duplicate, size or BLS check).
    function addKeysToProvider(uint256 _providerIdentifier, KeyStore[] calldata _keyStores) external {
        if (msg.sender != providerConfigurations[_providerIdentifier].providerAdmin) {
            revert StakingRegistry__NotProviderAdmin();
        }
        Queue storage queue = providerQueues[_providerIdentifier];
        address rejected = testRejectedAttester;
        address[] memory attesters = new address[](_keyStores.length);
        for (uint256 i; i < _keyStores.length; ++i) {
            // The test hook (unset: never). The real registry has no such check.
            if (rejected != address(0) && _keyStores[i].attester == rejected) {
                revert("TestStakingRegistry: attester rejected by the test hook");
            }
            queue.enqueue(_keyStores[i]);
            attesters[i] = _keyStores[i].attester;
        }
        emit AttestersAddedToProvider(_providerIdentifier, attesters);
    }

    function updateProviderAdmin(uint256 _providerIdentifier, address _newAdmin) external {
        address currentAdmin = providerConfigurations[_providerIdentifier].providerAdmin;
        if (msg.sender != currentAdmin) revert StakingRegistry__NotProviderAdmin();
        if (_newAdmin == address(0)) revert StakingRegistry__ZeroAddress();
        if (_newAdmin == currentAdmin) revert StakingRegistry__UpdatedProviderAdminToSameAddress();
        pendingProviderAdmins[_providerIdentifier] = _newAdmin;
        emit ProviderAdminUpdateInitiated(_providerIdentifier, _newAdmin);
    }

    function acceptProviderAdmin(uint256 _providerIdentifier) external {
        if (msg.sender != pendingProviderAdmins[_providerIdentifier]) revert StakingRegistry__NotPendingProviderAdmin();
        providerConfigurations[_providerIdentifier].providerAdmin = msg.sender;
        delete pendingProviderAdmins[_providerIdentifier];
        emit ProviderAdminUpdated(_providerIdentifier, msg.sender);
    }

    function updateProviderRewardsRecipient(uint256 _providerIdentifier, address _newRewardsRecipient) external {
        if (msg.sender != providerConfigurations[_providerIdentifier].providerAdmin) {
            revert StakingRegistry__NotProviderAdmin();
        }
        if (_newRewardsRecipient == address(0)) revert StakingRegistry__ZeroAddress();
        providerConfigurations[_providerIdentifier].providerRewardsRecipient = _newRewardsRecipient;
        emit ProviderRewardsRecipientUpdated(_providerIdentifier, _newRewardsRecipient);
    }

    function updateProviderTakeRate(uint256 _providerIdentifier, uint16 _newTakeRate) external {
        if (msg.sender != providerConfigurations[_providerIdentifier].providerAdmin) {
            revert StakingRegistry__NotProviderAdmin();
        }
        if (_newTakeRate == providerConfigurations[_providerIdentifier].providerTakeRate) {
            revert StakingRegistry__UpdatedProviderTakeRateToSameValue();
        }
        if (_newTakeRate > BIPS) revert StakingRegistry__InvalidTakeRate(_newTakeRate);
        providerConfigurations[_providerIdentifier].providerTakeRate = _newTakeRate;
        emit ProviderTakeRateUpdated(_providerIdentifier, _newTakeRate);
    }

    /// The admin removes keys from the head (a bad key that blocks or wastes delegations).
    function dripProviderQueue(uint256 _providerIdentifier, uint256 _numberOfKeysToDrip) external {
        if (msg.sender != providerConfigurations[_providerIdentifier].providerAdmin) {
            revert StakingRegistry__NotProviderAdmin();
        }
        Queue storage queue = providerQueues[_providerIdentifier];
        for (uint256 i; i < _numberOfKeysToDrip; ++i) {
            KeyStore memory keyStore = queue.dequeue();
            emit ProviderQueueDripped(_providerIdentifier, keyStore.attester);
        }
    }

    function getProviderQueueLength(uint256 _providerIdentifier) external view returns (uint256) {
        return providerQueues[_providerIdentifier].length();
    }

    function getFirstIndexInQueue(uint256 _providerIdentifier) external view returns (uint128) {
        return providerQueues[_providerIdentifier].first;
    }

    function getLastIndexInQueue(uint256 _providerIdentifier) external view returns (uint128) {
        return providerQueues[_providerIdentifier].last;
    }

    function getValueAtIndexInQueue(uint256 _providerIdentifier, uint128 _index)
        external
        view
        returns (KeyStore memory)
    {
        return providerQueues[_providerIdentifier].getValueAtIndex(_index);
    }

    function getActivationThreshold(uint256 _rollupVersion) external view returns (uint256) {
        return IStakingLike(ROLLUP_REGISTRY.getRollup(_rollupVersion)).getActivationThreshold();
    }

    // -----------------------------------------------------------------------------------------
    // Test-only (not in the real registry): the deployer's hooks and the benchmark's bulk helpers
    // -----------------------------------------------------------------------------------------

    /// Who may call the test… functions: the deployer.
    address private immutable testOperator;
    /// addKeysToProvider reverts for this attester (zero: never), to play a key the chain rejects.
    address public testRejectedAttester;

    modifier onlyTestOperator() {
        require(msg.sender == testOperator, "TestStakingRegistry: not the test operator");
        _;
    }

    function testRejectAttester(address _attester) external onlyTestOperator {
        testRejectedAttester = _attester;
    }

    /// Stakes the provider's next `_count` keys at once, as stake() does, but paid from this
    /// registry's own staking asset (mint it here first) and with a counterfactual split address
    /// instead of a new split contract (cheap: no contract creation).
    function testBulkStake(uint256 _providerIdentifier, uint256 _rollupVersion, uint256 _count, address _withdrawer)
        external
        onlyTestOperator
    {
        address rollup = ROLLUP_REGISTRY.getRollup(_rollupVersion);
        uint256 threshold = IStakingLike(rollup).getActivationThreshold();
        STAKING_ASSET.approve(rollup, threshold * _count);
        Queue storage queue = providerQueues[_providerIdentifier];
        for (uint256 i = 0; i < _count; i++) {
            KeyStore memory keyStore = queue.dequeue();
            IStakingLike(rollup).deposit(
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

    /// StakedWithProvider events alone (no queue, no deposit).
    function testEmitStakedWithProvider(uint256 _providerIdentifier, address _rollup, address[] calldata _attesters)
        external
        onlyTestOperator
    {
        for (uint256 i = 0; i < _attesters.length; i++) {
            address split = address(uint160(uint256(keccak256(abi.encode("split", _attesters[i])))));
            emit StakedWithProvider(_providerIdentifier, _rollup, _attesters[i], split, address(this));
        }
    }
}
