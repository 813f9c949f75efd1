/** The two accounts every suite uses: Cloudflare-shaped IDs (32 lowercase hex digits). */
export const ACCOUNT = '0123456789abcdef0123456789abcdef';
export const OTHER_ACCOUNT = 'fedcba9876543210fedcba9876543210';
