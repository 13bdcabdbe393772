/** docker-compose's Temporal server runs with the same dynamic configuration as the dev server `npm start` runs. */
import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { DYNAMIC_CONFIG } from '../../src/platform/temporal-server';
import { ROOT } from '../helpers/processes';

type DynamicConfigFile = Record<string, Array<{ value: unknown; constraints?: Record<string, unknown> }>>;

test('deploy/temporal/dynamicconfig.yaml holds every dev-server setting, mounted where compose points', () => {
  const file = yaml.load(
    fs.readFileSync(path.join(ROOT, 'deploy', 'temporal', 'dynamicconfig.yaml'), 'utf8'),
  ) as DynamicConfigFile;
  for (const setting of DYNAMIC_CONFIG) {
    const [key, value] = setting.split('=') as [string, string];
    expect([key, file[key]?.[0]?.value]).toEqual([key, JSON.parse(value)]);
  }

  const compose = yaml.load(fs.readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8')) as {
    services: { temporal: { environment: Record<string, string>; volumes: string[] } };
  };
  const { environment, volumes } = compose.services.temporal;
  // auto-setup's working directory is /etc/temporal.
  const mounted = path.posix.join('/etc/temporal', environment.DYNAMIC_CONFIG_FILE_PATH!);
  expect(volumes).toContain(`./deploy/temporal/dynamicconfig.yaml:${mounted}:ro`);
});
