// Anonymous-send tokens on the client: the wallet the engine takes tokens from, and the blind RSA
// it uses (RFC 9474 / RFC 9578 type 2).
export {
  createTokenWallet,
  anonymousKeySource,
  MAX_TAKE,
  type TokenWallet,
  type TokenIssuer,
  type TokenKeySource,
  type TokenWalletOptions,
} from './wallet';
export { parseTokenKey, type TokenPublicKey } from './blindRsa';
