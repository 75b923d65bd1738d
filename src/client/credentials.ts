/** How a user logs in: what `app.logIn` sends to `POST /auth/login`. */
export class Credentials {
  private constructor(readonly body: Readonly<Record<string, string>>) {}

  /** A new anonymous user. */
  static anonymous(): Credentials {
    return new Credentials({ provider: 'anonymous' });
  }

  /** A user of the server's `emailPassword` provider. */
  static emailPassword(email: string, password: string): Credentials {
    if (typeof email !== 'string' || email.trim() === '') throw new TypeError('Credentials.emailPassword: email must be a non-empty string');
    if (typeof password !== 'string') throw new TypeError('Credentials.emailPassword: password must be a string');
    return new Credentials({ provider: 'emailPassword', email, password });
  }
}
