/**
 * Aztec's StakingRegistry (AztecProtocol/ignition-contracts, src/staking-registry/), the contract
 * mainnet's and testnet's staking providers live in: its whole interface, with its custom errors
 * (its own, QueueLib's and OpenZeppelin's SafeERC20's) so that every revert decodes by name. No
 * package ships its ABI; tests/unit/staking-registry-abi.test.ts checks every selector against
 * the documented ones.
 *
 * One FIFO queue of attester registration tuples per provider, QueueLib's: entries live at
 * `getFirstIndexInQueue(id)` .. `getLastIndexInQueue(id) - 1` (the last index is exclusive; a new
 * provider's queue starts at 1), and `getProviderQueueLength(id)` is their difference. `stake`
 * always takes the head; only the admin can remove keys, and only from the head
 * (`dripProviderQueue`).
 */
import { parseAbi } from "viem";

export const stakingRegistryAbi = parseAbi([
  "struct G1Point { uint256 x; uint256 y; }",
  "struct G2Point { uint256 x0; uint256 x1; uint256 y0; uint256 y1; }",
  "struct KeyStore { address attester; G1Point publicKeyG1; G2Point publicKeyG2; G1Point proofOfPossession; }",

  "function STAKING_ASSET() view returns (address)",
  "function PULL_SPLIT_FACTORY() view returns (address)",
  "function ROLLUP_REGISTRY() view returns (address)",
  "function providerConfigurations(uint256 providerIdentifier) view returns (address providerAdmin, uint16 providerTakeRate, address providerRewardsRecipient)",
  "function providerQueues(uint256 providerIdentifier) view returns (uint128 first, uint128 last)",
  "function pendingProviderAdmins(uint256 providerIdentifier) view returns (address providerAdmin)",
  "function nextProviderIdentifier() view returns (uint256)",

  "function registerProvider(address _providerAdmin, uint16 _providerTakeRate, address _providerRewardsRecipient) returns (uint256)",
  "function addKeysToProvider(uint256 _providerIdentifier, KeyStore[] _keyStores)",
  "function dripProviderQueue(uint256 _providerIdentifier, uint256 _numberOfKeysToDrip)",
  "function stake(uint256 _providerIdentifier, uint256 _rollupVersion, address _withdrawalAddress, uint16 _expectedProviderTakeRate, address _userRewardsRecipient, bool _moveWithLatestRollup)",
  "function updateProviderAdmin(uint256 _providerIdentifier, address _newAdmin)",
  "function acceptProviderAdmin(uint256 _providerIdentifier)",
  "function updateProviderRewardsRecipient(uint256 _providerIdentifier, address _newRewardsRecipient)",
  "function updateProviderTakeRate(uint256 _providerIdentifier, uint16 _newTakeRate)",

  "function getProviderQueueLength(uint256 _providerIdentifier) view returns (uint256)",
  "function getFirstIndexInQueue(uint256 _providerIdentifier) view returns (uint128)",
  "function getLastIndexInQueue(uint256 _providerIdentifier) view returns (uint128)",
  "function getValueAtIndexInQueue(uint256 _providerIdentifier, uint128 _index) view returns (KeyStore)",
  "function getActivationThreshold(uint256 _rollupVersion) view returns (uint256)",

  "event ProviderRegistered(uint256 indexed providerIdentifier, address indexed providerAdmin, uint16 indexed providerTakeRate)",
  "event AttestersAddedToProvider(uint256 indexed providerIdentifier, address[] attesters)",
  "event ProviderQueueDripped(uint256 indexed providerIdentifier, address indexed attester)",
  "event StakedWithProvider(uint256 indexed providerIdentifier, address indexed rollupAddress, address indexed attester, address coinbaseSplitContractAddress, address stakerImplementation)",
  "event ProviderAdminUpdateInitiated(uint256 indexed providerIdentifier, address indexed newAdmin)",
  "event ProviderAdminUpdated(uint256 indexed providerIdentifier, address indexed newAdmin)",
  "event ProviderRewardsRecipientUpdated(uint256 indexed providerIdentifier, address indexed newRewardsRecipient)",
  "event ProviderTakeRateUpdated(uint256 indexed providerIdentifier, uint16 newTakeRate)",

  "error StakingRegistry__ZeroAddress()",
  "error StakingRegistry__InvalidProviderIdentifier(uint256 _providerIdentifier)",
  "error StakingRegistry__NotProviderAdmin()",
  "error StakingRegistry__UpdatedProviderAdminToSameAddress()",
  "error StakingRegistry__UpdatedProviderTakeRateToSameValue()",
  "error StakingRegistry__NotPendingProviderAdmin()",
  "error StakingRegistry__InvalidTakeRate(uint256 _takeRate)",
  "error StakingRegistry__UnexpectedTakeRate(uint256 _expectedTakeRate, uint256 _gotTakeRate)",
  "error QueueIsEmpty()",
  "error QueueIndexOutOfBounds()",
  "error SafeERC20FailedOperation(address token)",
]);

/** The registry's custom errors alone, to decode a failed estimate of one of its calls. */
export const stakingRegistryErrorsAbi = stakingRegistryAbi.filter((item) => item.type === "error");
