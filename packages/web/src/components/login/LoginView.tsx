// The login page: user name and password, errors beside the form, then back to where the user was.
import { useState, type FormEvent } from "react";
import { LoginForm, LoginPage } from "@patternfly/react-core";
import { useSession } from "../../state/session";
import { loadHostApp } from "../../load-host-app";

export function LoginView() {
  const { login } = useSession();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    try {
      await login(username, password);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <LoginPage loginTitle="Log in to the vmctl Host Client" loginSubtitle="This host's users, tokens and roles are managed by its administrator." brandImgSrc="" brandImgAlt="">
      <LoginForm
        showHelperText={error !== null}
        helperText={error ?? ""}
        usernameLabel="User name"
        usernameValue={username}
        onChangeUsername={(_e, value) => { setUsername(value); loadHostApp().catch(() => {}); }}
        isValidUsername={error === null}
        passwordLabel="Password"
        passwordValue={password}
        onChangePassword={(_e, value) => setPassword(value)}
        isValidPassword={error === null}
        onLoginButtonClick={(e) => void submit(e as unknown as FormEvent)}
        isLoginButtonDisabled={busy || !username || !password}
        loginButtonLabel={busy ? "Logging in…" : "Log in"}
      />
    </LoginPage>
  );
}
