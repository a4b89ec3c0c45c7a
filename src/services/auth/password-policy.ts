/**
 * Password rules, after NIST SP 800-63B §5.1.1.2: at least 8 characters, long passphrases allowed
 * (up to 128, which also bounds hashing cost), no common or context-derived passwords. Mixed character
 * classes are asked for as well, since most people reuse short passwords.
 */
export interface PasswordProblem {
  rule: 'min_length' | 'max_length' | 'character_classes' | 'common_password' | 'same_as_email';
  message: string;
}

export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 128;

// The most common leaked passwords that would otherwise pass the rules above (from public breach
// frequency lists); a full breach corpus cannot ship offline.
const COMMON = new Set(
  [
    'password1!',
    'password123!',
    'passw0rd!',
    'p@ssw0rd',
    'p@ssword1',
    'p@ssw0rd1',
    'welcome1!',
    'welcome123!',
    'qwerty123!',
    'qwerty1!',
    'abc123!@#',
    'letmein1!',
    'admin123!',
    'iloveyou1!',
    'changeme1!',
    'password1',
    'password123',
    'qwerty123',
    '1qaz2wsx',
    'abcd1234',
  ].map((p) => p.toLowerCase()),
);

export function checkPassword(password: string, email?: string): PasswordProblem | undefined {
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH) {
    return {
      rule: 'min_length',
      message: `Password must be at least ${MIN_PASSWORD_LENGTH} characters long`,
    };
  }
  if (length > MAX_PASSWORD_LENGTH) {
    return { rule: 'max_length', message: `Password must be at most ${MAX_PASSWORD_LENGTH} characters long` };
  }
  const classes = [/[a-z]/, /[A-Z]/, /\d/, /[^A-Za-z0-9]/].filter((re) => re.test(password)).length;
  // A passphrase of 16+ characters is strong without mixed classes.
  if (classes < 3 && length < 16) {
    return {
      rule: 'character_classes',
      message:
        'Password must mix at least three of: lowercase letters, uppercase letters, digits, symbols (or be 16+ characters long)',
    };
  }
  if (COMMON.has(password.toLowerCase())) {
    return { rule: 'common_password', message: 'This password is too common; choose another' };
  }
  const lowered = password.toLowerCase();
  const local = email?.split('@')[0]?.toLowerCase();
  if (email && (lowered === email.toLowerCase() || lowered === local)) {
    return { rule: 'same_as_email', message: 'Password must not be your email address' };
  }
  return undefined;
}
