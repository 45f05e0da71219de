// The part of keytar's API Wisp uses, typed here rather than by the installed package: keytar is an
// optional native dependency, and lint and typecheck must not depend on whether it compiled
// (tsconfig.node.json maps the `keytar` specifier to this file; the runtime still loads the package).

export declare function getPassword(service: string, account: string): Promise<string | null>;

export declare function setPassword(service: string, account: string, password: string): Promise<void>;

export declare function deletePassword(service: string, account: string): Promise<boolean>;
