// Placeholder while the view is written (hidden from the navigation).
export default {
  id: 'patrols',
  perm: 'read',
  nav: false,
  label: 'nav.map',
  mount(el) {
    el.textContent = '';
  },
};
