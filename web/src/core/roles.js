// Role-aware UI: the permission matrix of docs/permissions.md, as the
// node enforces it (src/auth/auth_user.c). The UI hides what a role may
// not do; the API refuses it anyway.
export const ROLES = ['viewer', 'reporter', 'analyst', 'commander', 'admin'];

const LEAST = {
  read: 'viewer',
  create: 'reporter',
  change: 'analyst',
  export: 'analyst',
  approve: 'commander',
  section: 'commander',
  users: 'admin',
  tokens: 'admin',
  peers: 'admin',
  settings: 'admin',
  audit: 'admin',
};

// May role do perm?
export function can(role, perm) {
  const least = LEAST[perm];
  if (!least) throw new Error(`unknown permission ${perm}`);
  const r = ROLES.indexOf(role);
  return r >= 0 && r >= ROLES.indexOf(least);
}

// el when the role may do perm, else null (so that it is not rendered).
export function ifCan(role, perm, el) {
  return can(role, perm) ? (typeof el === 'function' ? el() : el) : null;
}
