/** Pieces the admin pages share: an error box listing the API's field errors. */
import { ApiError, describeError } from '../../api';
import { Alert } from '../../components';

export function ErrorBox(props: { error: unknown }) {
  if (!props.error) return null;
  const e = props.error;
  if (e instanceof ApiError && e.status === 400 && e.errors.length) {
    return (
      <Alert kind="error">
        <p>{e.title}: fix these fields.</p>
        <ul data-testid="field-errors">
          {e.errors.map((f) => (
            <li key={`${f.field}:${f.message}`}>
              <code>{f.field}</code>: {f.message}
            </li>
          ))}
        </ul>
      </Alert>
    );
  }
  return <Alert kind="error">{describeError(e)}</Alert>;
}
