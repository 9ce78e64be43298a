export {
  WEBEX_API_BASE_PATH,
  WEBEX_CONTRACT_FILE,
  WebexContract,
  toJsonSchema,
  type ContractAnswer,
  type ContractOperation,
  type WebexContractOptions,
} from './webex-contract';
export type * from './openapi.types';
