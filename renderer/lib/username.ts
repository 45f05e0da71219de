// What a username may be, as the relay checks it (common/wire/primitives.ts, Username): the forms
// say it and check it before asking, so a name the relay would refuse is caught while typing.
export const USERNAME_PATTERN = /^[A-Za-z0-9_.]{3,32}$/;
export const USERNAME_RULE = '3–32 letters, digits, dots or underscores';
