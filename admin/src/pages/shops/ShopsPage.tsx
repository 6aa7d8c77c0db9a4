import { readFragment, type ResultOf } from 'gql.tada';
import { useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import { Field, LoadState, MutationErrors, PageHeading } from '../../components/common';
import { useLanguage } from '../../i18n';
import { CreateShop, DeactivateShop, ShopConfig, Shops, UpdateShop } from './queries';

type Shop = ResultOf<typeof ShopConfig>;

/** The shops' routing to a BIN and a Kaspi device: the earlier page's "BIN configurations". */
export function ShopsPage({ canAct }: { canAct: boolean }) {
  const { t } = useLanguage();
  const [result, refetch] = useQuery({ query: Shops });
  const [editing, setEditing] = useState<Shop | 'new' | null>(null);
  const [, deactivate] = useMutation(DeactivateShop);
  const shops = result.data ? readFragment(ShopConfig, result.data.configs) : [];
  const done = () => {
    setEditing(null);
    refetch({ requestPolicy: 'network-only' });
  };

  return (
    <section>
      <PageHeading title={t.shops.title} addLabel={t.shops.add} onAdd={canAct ? () => setEditing('new') : undefined} />
      {canAct && editing && <ShopForm key={editing === 'new' ? 'new' : editing.id} shop={editing === 'new' ? null : editing} onDone={done} onCancel={() => setEditing(null)} />}
      <LoadState fetching={result.fetching && !result.data} error={result.error}>
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th>{t.shops.shopId}</th>
                <th>{t.shops.bin}</th>
                <th>{t.shops.deviceToken}</th>
                <th>{t.shops.description}</th>
                <th>{t.shops.status}</th>
                {canAct && <th />}
              </tr>
            </thead>
            <tbody>
              {shops.map((shop) => (
                <tr key={shop.id} data-shop-id={shop.shopId}>
                  <td>{shop.shopId}</td>
                  <td>
                    <code>{shop.organizationBin}</code>
                  </td>
                  <td>
                    <code>{shop.deviceToken ?? '—'}</code>
                  </td>
                  <td>{shop.description ?? ''}</td>
                  <td>
                    <span className={shop.isActive ? 'status status-processed' : 'status status-canceled'}>{shop.isActive ? t.shops.activeYes : t.shops.activeNo}</span>
                  </td>
                  {canAct && (
                    <td className="row-actions">
                      <button type="button" onClick={() => setEditing(shop)}>
                        {t.shops.edit}
                      </button>
                      {shop.isActive && (
                        <button
                          type="button"
                          onClick={async () => {
                            if (!window.confirm(t.shops.confirmDeactivate(shop.shopId))) return;
                            await deactivate({ shopId: shop.shopId });
                            refetch({ requestPolicy: 'network-only' });
                          }}
                        >
                          {t.shops.deactivate}
                        </button>
                      )}
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {shops.length === 0 && <p className="muted">{t.common.none}</p>}
      </LoadState>
    </section>
  );
}

function ShopForm({ shop, onDone, onCancel }: { shop: Shop | null; onDone(): void; onCancel(): void }) {
  const { t } = useLanguage();
  const [shopId, setShopId] = useState(shop ? String(shop.shopId) : '');
  const [bin, setBin] = useState(shop?.organizationBin ?? '');
  // The token is never sent to the page; an empty field keeps the current one.
  const [deviceToken, setDeviceToken] = useState('');
  const [description, setDescription] = useState(shop?.description ?? '');
  const [isActive, setIsActive] = useState(shop?.isActive ?? true);
  const [created, createShop] = useMutation(CreateShop);
  const [updated, updateShop] = useMutation(UpdateShop);
  const state = shop ? updated : created;
  const errors = shop ? updated.data?.updateConfig.errors : created.data?.createConfig.errors;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const token = deviceToken.trim();
    const result = shop
      ? await updateShop({
          shopId: shop.shopId,
          input: { organizationBin: bin.trim(), description: description || null, isActive, ...(token ? { deviceToken: token } : {}) },
        })
      : await createShop({
          input: { shopId: Number(shopId), organizationBin: bin.trim(), deviceToken: token || null, description: description || null, isActive },
        });
    const payload = result.data && ('updateConfig' in result.data ? result.data.updateConfig : result.data.createConfig);
    if (payload?.config && payload.errors.length === 0) onDone();
  };

  return (
    <form className="card form" onSubmit={submit} aria-label={shop ? t.shops.editTitle(shop.shopId) : t.shops.addTitle}>
      <h2>{shop ? t.shops.editTitle(shop.shopId) : t.shops.addTitle}</h2>
      {!shop && (
        <Field label={t.shops.shopId}>
          <input inputMode="numeric" value={shopId} onChange={(event) => setShopId(event.target.value)} required />
        </Field>
      )}
      <Field label={t.shops.bin}>
        <input inputMode="numeric" value={bin} onChange={(event) => setBin(event.target.value)} required maxLength={12} />
      </Field>
      <Field label={t.shops.deviceToken} hint={shop ? t.shops.deviceTokenKeep : undefined}>
        <input value={deviceToken} onChange={(event) => setDeviceToken(event.target.value)} autoComplete="off" spellCheck={false} placeholder={shop?.deviceToken ?? ''} />
      </Field>
      <Field label={t.shops.description}>
        <input value={description} onChange={(event) => setDescription(event.target.value)} />
      </Field>
      <label className="check">
        <input type="checkbox" checked={isActive} onChange={(event) => setIsActive(event.target.checked)} /> {t.shops.active}
      </label>
      <MutationErrors errors={errors} error={state.error} />
      <div className="actions">
        <button type="submit" className="primary" disabled={state.fetching}>
          {t.common.save}
        </button>
        <button type="button" onClick={onCancel}>
          {t.common.cancel}
        </button>
      </div>
    </form>
  );
}
