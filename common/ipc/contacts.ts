// The `contacts` service: finding someone by username at the relay, their safety number, and
// marking them verified (PRODUCT.md, Identity and accounts).
import { z } from 'zod';
import { method, noInput, type ServiceInterface } from './contract';
import { ContactViewSchema, Id, SafetyNumberViewSchema, Username } from './views';

/** A contact named by username or by account id. */
export const ContactRef = z.union([Username, Id]);

export const contactsSpec = {
  list: method(noInput, z.array(ContactViewSchema)),
  lookup: method(z.object({ username: Username }), ContactViewSchema),
  safetyNumber: method(z.object({ contact: ContactRef }), SafetyNumberViewSchema),
  setVerified: method(z.object({ contact: ContactRef, verified: z.boolean() }), ContactViewSchema),
};

export type ContactsService = ServiceInterface<typeof contactsSpec>;
